import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LatestWins } from './latestWins.js';

describe('LatestWins', () => {
  it('merges what arrives during a write into one next write with the latest value', async () => {
    const writes: Array<{ key: string; value: number; count: number }> = [];
    const coalescer = new LatestWins<number, string>(async (key, value, count) => {
      writes.push({ key, value, count });
      await sleep(20);
      return `${key}:${value}`;
    });
    const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => coalescer.submit('a', n)));
    expect(writes).toEqual([
      { key: 'a', value: 1, count: 1 },
      { key: 'a', value: 5, count: 4 },
    ]);
    expect(answers).toEqual(['a:1', 'a:5', 'a:5', 'a:5', 'a:5']);
  });

  it('keeps keys apart, and starts afresh once a key is idle', async () => {
    const writes: string[] = [];
    const coalescer = new LatestWins<number, void>(async (key, value) => {
      writes.push(`${key}=${value}`);
    });
    await Promise.all([coalescer.submit('a', 1), coalescer.submit('b', 2)]);
    await coalescer.submit('a', 3);
    expect(writes).toEqual(['a=1', 'b=2', 'a=3']);
  });

  it('rejects the callers of a failed write only, and goes on with the next', async () => {
    const coalescer = new LatestWins<number, number>(async (_key, value) => {
      await sleep(5);
      if (value === 1) throw new Error('first write failed');
      return value;
    });
    const first = coalescer.submit('a', 1);
    const second = coalescer.submit('a', 2);
    await expect(first).rejects.toThrow('first write failed');
    await expect(second).resolves.toBe(2);
  });
});
