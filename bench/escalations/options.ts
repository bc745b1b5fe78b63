import { intParam, type BenchContext } from '../harness/benchmark.js';

export interface EscalationSizes {
  escalations: number;
  /** SWITCHBOARD_TIME_SCALE of the server and the simulator's timeScale: one plan second is `scale` real seconds. */
  scale: number;
  /** Escalation starts per second; 0 publishes every trigger at once. */
  rate: number;
  seed: number;
  /** Where the server writes a V8 CPU profile (node --cpu-prof), if asked. */
  cpuProfDir: string | undefined;
  /** Server processes: 1 runs every role; more split the engine off into processes of its own. */
  processes: number;
  /** Raw JetStream runs before the escalations, and as many after. */
  baselineReps: number;
}

export const ESCALATION_OPTIONS = {
  escalations: 'concurrent escalations, each with its own recipients and scenarios (10000; --quick 200)',
  scale: 'SWITCHBOARD_TIME_SCALE of the server and the simulator: 0.1 makes a 60 s expiry 6 s (0.1; --quick 0.03)',
  rate: 'escalation starts per second, longest scenarios first; 0 publishes them all at once, as the issue has them: 10,000 concurrent (0)',
  seed: 'seed of the scenario mix, so a run can be repeated exactly (1)',
  'cpu-prof': 'a directory: profile the server (as node --cpu-prof would) and write its profile there (off)',
  'baseline-reps':
    'raw JetStream runs of 20,000 events before the escalations, and as many after: the yardstick sends/s are divided by (3; --quick 1)',
  processes: 'server processes: 1 takes every role, as npm start; N > 1 runs the engine role in N - 1 processes of its own (1)',
} as const;

/** A positive number option such as --scale=0.05, or the default. */
function numberParam(ctx: BenchContext, key: string, normal: number, quick = normal): number {
  const text = ctx.params.get(key);
  if (text === undefined) return ctx.quick ? quick : normal;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${key} must be a positive number, got "${text}"`);
  return value;
}

/** --rate=0 is meaningful (all at once, the default), which intParam refuses. */
function rateParam(ctx: BenchContext): number {
  const text = ctx.params.get('rate');
  if (text === undefined) return 0;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`--rate must be a whole number of starts per second (0: all at once), got "${text}"`);
  return value;
}

export function sizesFrom(ctx: BenchContext): EscalationSizes {
  const scale = numberParam(ctx, 'scale', 0.1, 0.03);
  if (scale > 1) throw new Error(`--scale=${scale} would slow time down: use a value up to 1`);
  return {
    escalations: intParam(ctx, 'escalations', 10_000, 200),
    scale,
    rate: rateParam(ctx),
    seed: intParam(ctx, 'seed', 1),
    cpuProfDir: ctx.params.get('cpu-prof') || undefined,
    processes: intParam(ctx, 'processes', 1),
    baselineReps: intParam(ctx, 'baseline-reps', 3, 1),
  };
}
