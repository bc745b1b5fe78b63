import { afterAll, expect, it } from 'vitest';
import { runCrashStorm } from '../../bench/crash/storm.js';
import { Cleanups } from '../../bench/harness/cleanups.js';

const cleanups = new Cleanups();
afterAll(() => cleanups.runAll((err) => console.error(err)));

it('ends every escalation once, with its outcome, through 8 SIGKILLs of the server, messaging nobody twice for one attempt', async () => {
  const result = await runCrashStorm(
    { params: new Map(), quick: false, print: console.log, progress: console.log, defer: (cleanup) => cleanups.add(cleanup) },
    {
      escalations: 200,
      kills: 8,
      scale: 0.05,
      rate: 20,
      seed: Number(process.env.CRASH_SEED ?? 1),
      serverEnv: { SWITCHBOARD_ACK_WAIT_MS: '2000' },
      settleMs: 90_000,
    },
  );
  const { verification: v } = result;
  console.log(
    JSON.stringify(
      {
        ...result,
        verification: {
          ...v,
          lags: undefined,
          wrong: v.wrong.slice(0, 10),
          badEvents: v.badEvents.slice(0, 10),
          extraSends: v.extraSends.slice(0, 10),
          missingSends: v.missingSends.slice(0, 10),
        },
      },
      null,
      1,
    ),
  );
  expect(v.unfinished).toBe(0);
  expect(v.missing).toBe(0);
  expect(v.wrong).toEqual([]);
  expect(v.badEvents).toEqual([]);
  expect(result.doubleSends).toEqual([]);
}, 300_000);
