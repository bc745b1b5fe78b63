import { describe, expect, it } from 'vitest';
import { timeoutMs } from './timeoutMs.js';

describe('timeoutMs', () => {
  it('keeps a delay Node can wait, and cuts a longer one to the longest it can', async () => {
    expect(timeoutMs(1500)).toBe(1500);
    const longest = timeoutMs(30 * 24 * 3600 * 1000);
    expect(longest).toBe(2 ** 31 - 1);
    // Node would run an uncut 30 days at once; the cut one does not fire within the test.
    let fired = false;
    const timer = setTimeout(() => (fired = true), longest);
    await new Promise((resolve) => setTimeout(resolve, 20));
    clearTimeout(timer);
    expect(fired).toBe(false);
  });
});
