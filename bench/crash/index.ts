import { intParam, type Benchmark } from '../harness/benchmark.js';
import { runCrashStorm } from './storm.js';

const OPTIONS = {
  escalations: 'escalations started over the run (1000; --quick 100)',
  kills: 'SIGKILLs of the server process, at random moments, each followed by a restart (20; --quick 4)',
  rate: 'escalation starts per second (20)',
  seed: 'seed of the scenario mix and of the kill times (1)',
  'ack-wait-ms': "the server's SWITCHBOARD_ACK_WAIT_MS: how soon a killed worker's messages go to the next (30000, the default)",
} as const;

/**
 * Issue 13's crash storm: the escalations workload through a server SIGKILLed again and again,
 * nats-server and the simulator running apart. Its figures are counts that must be zero.
 */
export const crashBenchmark: Benchmark = {
  name: 'crash',
  description:
    'escalations through a server SIGKILLed at random moments: stuck escalations, outcome events per escalation, recipients messaged twice',
  options: OPTIONS,
  async run(ctx) {
    const escalations = intParam(ctx, 'escalations', 1000, 100);
    const kills = intParam(ctx, 'kills', 20, 4);
    const rate = intParam(ctx, 'rate', 20);
    const seed = intParam(ctx, 'seed', 1);
    const ackWaitMs = intParam(ctx, 'ack-wait-ms', 30_000);
    const scale = 0.05;
    const result = await runCrashStorm(ctx, {
      escalations,
      kills,
      scale,
      rate,
      seed,
      serverEnv: { SWITCHBOARD_ACK_WAIT_MS: String(ackWaitMs) },
      settleMs: 10 * 60_000,
    });
    const v = result.verification;
    const problems = [...v.wrong, ...v.badEvents, ...v.extraSends, ...v.missingSends].slice(0, 20).map((one) => `  ${one.what}`);
    if (problems.length > 0) ctx.print(`first problems:\n${problems.join('\n')}`);
    for (const one of result.stuck.slice(0, 10)) ctx.print(`  stuck: ${one}`);
    for (const one of result.doubleSends.slice(0, 10)) ctx.print(`  messaged twice: ${one.to} (${one.clientRef}) x${one.count}`);
    const median = [...result.restartMs].sort((a, b) => a - b)[Math.floor(result.restartMs.length / 2)] ?? 0;
    return {
      figures: [
        { name: 'stuck (still active at the end)', value: v.unfinished + v.missing, unit: 'escalations', target: { op: '<=', value: 0 } },
        { name: 'without exactly one outcome event', value: v.badEvents.length, unit: 'escalations', target: { op: '<=', value: 0 } },
        {
          name: 'recipients messaged twice for one attempt',
          value: result.doubleSends.length,
          unit: 'attempts',
          target: { op: '<=', value: 0 },
        },
        { name: 'outcome other than the scenario’s', value: v.wrong.length - v.unfinished - v.missing, unit: 'escalations' },
        { name: 'sends beyond the scenario’s', value: v.extraSends.length, unit: 'escalations' },
        { name: 'run, first trigger to last outcome', value: result.durationMs / 1000, unit: 's', decimals: 1 },
        { name: 'restart, SIGKILL to ready (median)', value: median / 1000, unit: 's', decimals: 1 },
      ],
      notes: [
        `${escalations} escalations at ${rate}/s, ${kills} SIGKILLs, SWITCHBOARD_TIME_SCALE=${scale}, SWITCHBOARD_ACK_WAIT_MS=${ackWaitMs}, seed ${seed}; ${result.sends} messages accepted`,
      ],
    };
  },
};
