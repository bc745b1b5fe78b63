import { describe, expect, it } from 'vitest';
import { WebhookLag } from './webhookLag.js';

const at = (ms: number) => new Date(ms).toISOString();
const T = 1_000_000;

describe('WebhookLag', () => {
  it('is the worst lag seen lately, and forgets it after two windows', () => {
    const lag = new WebhookLag();
    expect(lag.current(T)).toBe(0);
    lag.observe(at(T - 2_000), T, T);
    lag.observe(at(T - 300), T + 100, T + 100);
    expect(lag.current(T + 100)).toBe(2_000);
    expect(lag.current(T + 6_000)).toBe(2_000);
    expect(lag.current(T + 11_000)).toBe(0);
  });

  it('holds a deadline back by the current lag', () => {
    const lag = new WebhookLag();
    expect(lag.pendingUntil(T, T)).toBeUndefined();
    lag.observe(at(T - 1_500), T, T);
    expect(lag.pendingUntil(T + 200, T + 300)).toBe(T + 1_700);
    expect(lag.pendingUntil(T + 200, T + 1_700)).toBeUndefined();
  });

  it('ignores a provider clock ahead of ours and timestamps it cannot read, and caps a retried webhook', () => {
    const lag = new WebhookLag();
    lag.observe(at(T + 500), T, T);
    lag.observe('not a time', T, T);
    expect(lag.current(T)).toBe(0);
    lag.observe(at(T - 30 * 60_000), T, T);
    expect(lag.current(T)).toBe(60_000);
  });
});
