import { startTestNats, type TestNats } from '../../test/support/nats.js';
import type { BenchContext } from './benchmark.js';

/**
 * The benchmark's own nats-server: the project's nats.conf, a free port, a temp store dir (the
 * test suites' launcher), stopped and its store removed when the benchmark ends.
 */
export async function startBenchNats(ctx: BenchContext): Promise<TestNats> {
  const nats = await startTestNats();
  ctx.defer(() => nats.stop());
  return nats;
}
