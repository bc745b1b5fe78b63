import { eventSubject } from '#libs/events';
import type { Bus } from '#libs/bus';
import { intListParam, intParam, type BenchContext } from '../harness/benchmark.js';
import { once } from '../harness/once.js';
import { RAW_RUN_SIZES } from '../harness/rawJetStream.js';
import { benchSettings, primeRoutes, saveBenchRoutes, startBenchSwitchboard, type BenchSwitchboard } from './benchSwitchboard.js';
import type { LatencyProbe } from './probeHandler.js';
import { encodedEvents, runPrefix } from '../harness/sampleEvents.js';
import { runSwitchboardThroughput } from './switchboardThroughput.js';

export interface DispatchSizes {
  events: number;
  reps: number;
  warmup: number;
  window: number;
  rate: number;
  seconds: number;
  /** Non-default SWITCHBOARD_CONCURRENCY values to compare against the default. */
  concurrency: number[];
  sweepReps: number;
}

export const DISPATCH_OPTIONS = {
  events: 'events per throughput repetition (20000; --quick 2000)',
  reps: 'throughput repetitions, raw then Switchboard each time (5; --quick 2)',
  warmup: 'events of each discarded warm-up run (5000; --quick 1000)',
  window: 'publish acks outstanding at once (256)',
  rate: 'events per second of the latency run (1000)',
  seconds: 'length of the latency run (10; --quick 2)',
  concurrency: 'other SWITCHBOARD_CONCURRENCY values to compare, comma-separated, empty for none (8,256; --quick none)',
  'sweep-reps': 'repetitions per compared concurrency (3; --quick 1)',
} as const;

export function sizesFrom(ctx: BenchContext, defaultConcurrency: number): DispatchSizes {
  return {
    events: intParam(ctx, 'events', RAW_RUN_SIZES.events, 2_000),
    reps: intParam(ctx, 'reps', 5, 2),
    warmup: intParam(ctx, 'warmup', RAW_RUN_SIZES.warmup, 1_000),
    window: intParam(ctx, 'window', RAW_RUN_SIZES.window),
    rate: intParam(ctx, 'rate', 1_000),
    seconds: intParam(ctx, 'seconds', 10, 2),
    concurrency: intListParam(ctx, 'concurrency', [8, 256], []).filter((value) => value !== defaultConcurrency),
    sweepReps: intParam(ctx, 'sweep-reps', 3, 1),
  };
}

/** What every phase of the benchmark shares: one nats-server, one publisher connection, one probe. */
export interface DispatchSession {
  ctx: BenchContext;
  sizes: DispatchSizes;
  natsUrl: string;
  dataDir: string;
  publisher: Bus;
  probe: LatencyProbe;
}

export interface ReadySwitchboard {
  sb: BenchSwitchboard;
  stop: () => Promise<void>;
}

/** A Switchboard at one concurrency, its routes saved and loaded, JIT warmed up by a discarded run. */
export async function readySwitchboard(session: DispatchSession, concurrency: number): Promise<ReadySwitchboard> {
  const { ctx, sizes, publisher, probe } = session;
  const sb = await startBenchSwitchboard(benchSettings(session.natsUrl, session.dataDir, concurrency), [probe.handler]);
  const stop = once(() => sb.running.stop());
  ctx.defer(stop);
  await saveBenchRoutes(sb);
  await primeRoutes(sb, runPrefix(`prime-c${concurrency}`));
  await runSwitchboardThroughput(publisher, sb, encodedEvents(runPrefix('warmup'), sizes.warmup, eventSubject), sizes.window);
  return { sb, stop };
}
