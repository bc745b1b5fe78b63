import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LatestWins } from './latestWins.js';

const noneShared = () => false;

class BusDown extends Error {}

describe('LatestWins', () => {
  it('merges what arrives during a write into one next write with the latest value', async () => {
    const writes: Array<{ key: string; value: number; count: number }> = [];
    const coalescer = new LatestWins<number, string>(async (key, value, count) => {
      writes.push({ key, value, count });
      // A write that takes a while: the submissions after the first arrive during it.
      await sleep(20);
      return `${key}:${value}`;
    }, noneShared);
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
    }, noneShared);
    await Promise.all([coalescer.submit('a', 1), coalescer.submit('b', 2)]);
    await coalescer.submit('a', 3);
    expect(writes).toEqual(['a=1', 'b=2', 'a=3']);
  });

  it('rejects the callers of a failed write only, and goes on with the next', async () => {
    const coalescer = new LatestWins<number, number>(async (_key, value) => {
      // A write that takes a while: the submissions after the first arrive during it.
      await sleep(5);
      if (value === 1) throw new Error('first write failed');
      return value;
    }, noneShared);
    const first = coalescer.submit('a', 1);
    const second = coalescer.submit('a', 2);
    await expect(first).rejects.toThrow('first write failed');
    await expect(second).resolves.toBe(2);
  });

  it('tries a merged write that fails again with each submission alone: only the bad one fails, the others are written', async () => {
    const writes: Array<{ value: number; count: number }> = [];
    const coalescer = new LatestWins<number, number>(async (_key, value, count) => {
      writes.push({ value, count });
      // A write that takes a while: the submissions after the first arrive during it.
      await sleep(5);
      if (value < 0) throw new Error(`${value} cannot be written`);
      return value;
    }, noneShared);
    const first = coalescer.submit('a', 1);
    // Merged into one write behind the first, which carries the bad value (the latest).
    const merged = [2, 3, -1].map((value) => coalescer.submit('a', value));
    await expect(first).resolves.toBe(1);
    await expect(merged[0]).resolves.toBe(2);
    await expect(merged[1]).resolves.toBe(3);
    await expect(merged[2]).rejects.toThrow('-1 cannot be written');
    expect(writes).toEqual([
      { value: 1, count: 1 },
      { value: -1, count: 3 },
      { value: 2, count: 1 },
      { value: 3, count: 1 },
      { value: -1, count: 1 },
    ]);
  });

  it('gives a failure every caller shares to each of the merged at once, without writing them one by one', async () => {
    let writes = 0;
    const coalescer = new LatestWins<number, number>(
      async (_key, value) => {
        writes++;
        // A write that takes a while: the submissions after the first arrive during it.
        await sleep(5);
        if (value > 1) throw new BusDown('the bus is down');
        return value;
      },
      (err) => err instanceof BusDown,
    );
    const first = coalescer.submit('a', 1);
    const merged = [2, 3, 4].map((value) => coalescer.submit('a', value));
    await expect(first).resolves.toBe(1);
    for (const answer of merged) await expect(answer).rejects.toThrow('the bus is down');
    expect(writes).toBe(2);
  });
});
