import { intParam, type BenchContext } from '../harness/benchmark.js';

export const DELIVERIES_OPTIONS = {
  events: 'events (one delivery each) per throughput repetition (5000; --quick 500)',
  reps: 'throughput repetitions (3; --quick 1)',
  warmup: 'deliveries of the discarded warm-up run (1000; --quick 200)',
  window: 'publish acks outstanding at once (256)',
  rate: 'events per second of the latency run (200)',
  seconds: 'length of the latency run (10; --quick 2)',
} as const;

export interface DeliveriesSizes {
  events: number;
  reps: number;
  warmup: number;
  window: number;
  rate: number;
  seconds: number;
}

export function sizesFrom(ctx: BenchContext): DeliveriesSizes {
  return {
    events: intParam(ctx, 'events', 5_000, 500),
    reps: intParam(ctx, 'reps', 3, 1),
    warmup: intParam(ctx, 'warmup', 1_000, 200),
    window: intParam(ctx, 'window', 256),
    rate: intParam(ctx, 'rate', 200),
    seconds: intParam(ctx, 'seconds', 10, 2),
  };
}
