import { describe, expect, it } from 'vitest';
import { WebhookWatermark } from './webhookWatermark.js';

const at = (ms: number) => new Date(ms).toISOString();
const T = 1_000_000;

describe('WebhookWatermark', () => {
  it('holds an expiry back while webhooks arrive late, until one sent after its deadline is stored', () => {
    const webhooks = new WebhookWatermark();
    // Webhooks arrive 3 s after the provider sent them, one every 100 ms.
    for (let now = T; now <= T + 2_000; now += 100) webhooks.observe(at(now - 3_000), now, now);
    const deadline = T + 1_000;
    const recheck = webhooks.pendingUntil(deadline, T + 2_000);
    expect(recheck).toBe(T + 2_000 + (deadline + 250 - (T - 1_000)));
    webhooks.observe(at(deadline + 249), T + 4_300, T + 4_300);
    expect(webhooks.pendingUntil(deadline, T + 4_300)).toBeDefined();
    webhooks.observe(at(deadline + 250), T + 4_350, T + 4_350);
    expect(webhooks.pendingUntil(deadline, T + 4_350)).toBeUndefined();
  });

  it('lets an expiry go once webhooks stop coming for twice the recent lag, and after a minute at most', () => {
    const webhooks = new WebhookWatermark();
    webhooks.observe(at(T - 1_000), T, T);
    expect(webhooks.lag(T)).toBe(1_000);
    expect(webhooks.pendingUntil(T + 500, T + 600)).toBe(T + 2_100);
    expect(webhooks.pendingUntil(T + 500, T + 2_100)).toBeUndefined();

    const stuck = new WebhookWatermark();
    stuck.observe(at(T - 50 * 60_000), T, T);
    expect(stuck.lag(T)).toBe(60_000);
    for (let now = T; now < T + 61_000; now += 1_000) stuck.observe(at(T - 50 * 60_000), now, now);
    expect(stuck.pendingUntil(T, T + 59_999)).toBeDefined();
    expect(stuck.pendingUntil(T, T + 60_000)).toBeUndefined();
  });

  it('is settled from the start, before any webhook, and ignores timestamps it cannot read', () => {
    const webhooks = new WebhookWatermark();
    expect(webhooks.pendingUntil(T, T)).toBeUndefined();
    webhooks.observe('not a time', T, T);
    expect(webhooks.pendingUntil(T, T)).toBeUndefined();
  });

  it('forgets old lags after two windows', () => {
    const webhooks = new WebhookWatermark();
    webhooks.observe(at(T - 2_000), T, T);
    expect(webhooks.lag(T + 6_000)).toBe(2_000);
    expect(webhooks.lag(T + 11_000)).toBe(0);
  });
});
