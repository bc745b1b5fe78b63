import { describe, expect, it } from 'vitest';
import { WebhookLag } from './webhookLag.js';

const at = (ms: number) => new Date(ms).toISOString();

describe('WebhookLag', () => {
  it('is the worst lag seen lately, and forgets it after two windows', () => {
    const lag = new WebhookLag();
    const t0 = 1_000_000;
    expect(lag.current(t0)).toBe(0);
    lag.observe(at(t0 - 2_000), t0, t0);
    lag.observe(at(t0 - 300), t0 + 100, t0 + 100);
    expect(lag.current(t0 + 100)).toBe(2_000);
    expect(lag.current(t0 + 6_000)).toBe(2_000);
    expect(lag.current(t0 + 11_000)).toBe(0);
  });

  it('ignores a provider clock ahead of ours and timestamps it cannot read, and caps a retried webhook', () => {
    const lag = new WebhookLag();
    const t0 = 2_000_000;
    lag.observe(at(t0 + 500), t0, t0);
    lag.observe('not a time', t0, t0);
    expect(lag.current(t0)).toBe(0);
    lag.observe(at(t0 - 30 * 60_000), t0, t0);
    expect(lag.current(t0)).toBe(60_000);
  });
});
