import { crashBenchmark } from './crash/index.js';
import { deliveriesBenchmark } from './deliveries/index.js';
import { dispatchBenchmark } from './dispatch/index.js';
import { escalationsBenchmark } from './escalations/index.js';
import { fuzzBenchmark } from './fuzz/index.js';
import type { Benchmark } from './harness/benchmark.js';
import { hooksBenchmark } from './hooks/index.js';

/** Every benchmark `npm run bench` knows, in the order it runs them. Add new ones here. */
export const BENCHMARKS: readonly Benchmark[] = [
  dispatchBenchmark,
  hooksBenchmark,
  deliveriesBenchmark,
  escalationsBenchmark,
  crashBenchmark,
  fuzzBenchmark,
];
