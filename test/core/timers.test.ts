import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMERS, STREAMS, type DurableWorker } from '#libs/bus';
import { createLogger } from '#libs/logger';
import { Timers } from '#libs/timers';
import { useTestBus } from '../support/nats.js';
import { waitFor } from '../support/waitFor.js';

const suite = useTestBus();
let worker: DurableWorker;
const fired: Array<{ key: string; at: number; dueAt: number }> = [];
const holdUntil = new Map<string, number>();

beforeAll(async () => {
  worker = await new Timers(suite.bus).start({
    handlers: {
      test: async (payload, timer) => {
        const key = (payload as { key: string }).key;
        fired.push({ key, at: Date.now(), dueAt: timer.dueAt });
        const until = holdUntil.get(key);
        holdUntil.delete(key);
        return until;
      },
    },
    concurrency: 4,
    ackWaitMs: 2000,
    log: createLogger({ level: 'silent' }),
  });
});

afterAll(async () => {
  await worker?.stop();
});

describe('durable timers', () => {
  it('fire once when due, telling the handler when they were due', async () => {
    const dueAt = Date.now() + 300;
    await new Timers(suite.bus).schedule('test', 'once', dueAt, { key: 'once' });
    await waitFor('the timer', () => fired.some((one) => one.key === 'once'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const once = fired.filter((one) => one.key === 'once');
    expect(once).toHaveLength(1);
    expect(once[0]!.dueAt).toBe(dueAt);
    expect(once[0]!.at).toBeGreaterThanOrEqual(dueAt);
  });

  it('are held back, not settled, when the handler answers a later time', async () => {
    const dueAt = Date.now() + 100;
    holdUntil.set('held', dueAt + 600);
    await new Timers(suite.bus).schedule('test', 'held', dueAt, { key: 'held' });
    await waitFor('the timer, twice', () => fired.filter((one) => one.key === 'held').length === 2);
    const [first, second] = fired.filter((one) => one.key === 'held');
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(550);
    expect(second!.dueAt).toBe(dueAt);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(fired.filter((one) => one.key === 'held')).toHaveLength(2);
  });

  it('are held back, not settled, when the time answered has already passed', async () => {
    holdUntil.set('past', Date.now() - 1_000);
    await new Timers(suite.bus).schedule('test', 'past', Date.now(), { key: 'past' });
    await waitFor('the timer, twice', () => fired.filter((one) => one.key === 'past').length === 2);
  });

  it('wait out fractional due and hold times as whole milliseconds, not redelivered in between', async () => {
    const deliveries = async () => (await suite.bus.jsm.consumers.info(STREAMS.timers, CONSUMERS.timers)).delivered.consumer_seq;
    const before = await deliveries();
    // Fractions finer than a microsecond, as a timestamp in nanoseconds divided down gives.
    const dueAt = Date.now() + 200.003662109375;
    holdUntil.set('fractional', dueAt + 400.003662109375);
    await new Timers(suite.bus).schedule('test', 'fractional', dueAt, { key: 'fractional' });
    await waitFor('the timer, twice', () => fired.filter((one) => one.key === 'fractional').length === 2);
    const [first, second] = fired.filter((one) => one.key === 'fractional');
    expect(first!.at).toBeGreaterThanOrEqual(dueAt);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(350);
    // Delivered when scheduled, when due, when the hold ran out: a nak the server could not read would redeliver at once, again and again.
    expect((await deliveries()) - before).toBe(3);
  });
});
