import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectBus } from '#libs/bus';
import { loadSettings } from '#libs/config';
import type { Benchmark } from '../harness/benchmark.js';
import { startBenchNats } from '../harness/nats.js';
import { formatNumber } from '../harness/table.js';
import { compareThroughput, sweepConcurrency } from './comparison.js';
import { runLatency } from './latency.js';
import { createLatencyProbe } from './probeHandler.js';
import { createRawStream } from '../harness/rawJetStream.js';
import { latencyTables } from '../harness/latencyRun.js';
import { comparisonTable, concurrencyTable, dispatchFigures, dispatchNotes, type ConcurrencyFigure } from './report.js';
import { runPrefix } from '../harness/sampleEvents.js';
import { DISPATCH_OPTIONS, readySwitchboard, sizesFrom, type DispatchSession } from './session.js';

/**
 * Issue 2's figures, on one nats-server: (a) raw JetStream vs (b) a real Switchboard dispatching
 * the same events through a one-step log route, then (c) publish-to-handled latency at a fixed
 * rate through that Switchboard, then other SWITCHBOARD_CONCURRENCY values for comparison.
 */
export const dispatchBenchmark: Benchmark = {
  name: 'dispatch',
  description: 'raw JetStream vs Switchboard dispatch throughput (one-step log route), and publish-to-handled latency at a fixed rate',
  options: DISPATCH_OPTIONS,
  async run(ctx) {
    const defaultConcurrency = loadSettings({}).dispatch.concurrency;
    const sizes = sizesFrom(ctx, defaultConcurrency);
    const nats = await startBenchNats(ctx);
    const dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-bench-'));
    ctx.defer(() => rm(dataDir, { recursive: true, force: true }));
    const publisher = await connectBus(nats.url, { name: 'bench publisher' });
    ctx.defer(() => publisher.close());
    const rawConsumer = await connectBus(nats.url, { name: 'bench raw consumer' });
    ctx.defer(() => rawConsumer.close());
    const session: DispatchSession = { ctx, sizes, natsUrl: nats.url, dataDir, publisher, probe: createLatencyProbe() };

    ctx.progress(`starting a Switchboard (dispatcher role, SWITCHBOARD_CONCURRENCY=${defaultConcurrency}, the default) and warming up`);
    const { sb, stop } = await readySwitchboard(session, defaultConcurrency);
    await createRawStream(publisher, sb.settings.streams);

    ctx.progress(`throughput: ${sizes.reps} repetitions of ${formatNumber(sizes.events)} events, raw JetStream then Switchboard`);
    const compared = await compareThroughput(session, sb, rawConsumer);
    ctx.print(comparisonTable(compared));

    ctx.progress(`latency: ${sizes.rate} events/s for ${sizes.seconds} s through the same Switchboard`);
    const latency = await runLatency(publisher, sb, session.probe, {
      rate: sizes.rate,
      seconds: sizes.seconds,
      prefix: runPrefix('latency'),
    });
    ctx.print(`\n${latencyTables(latency, 'events')}`);
    await stop();

    const others: ConcurrencyFigure[] = [];
    for (const concurrency of sizes.concurrency) {
      ctx.progress(`concurrency: SWITCHBOARD_CONCURRENCY=${concurrency}, ${sizes.sweepReps} repetitions`);
      others.push({ concurrency, eventsPerSecond: await sweepConcurrency(session, concurrency) });
    }
    if (others.length > 0) {
      ctx.print(
        `\n${concurrencyTable([{ concurrency: defaultConcurrency, eventsPerSecond: compared.switchboard }, ...others], compared.raw, defaultConcurrency)}`,
      );
    }

    return { figures: dispatchFigures(sizes, defaultConcurrency, compared, others, latency), notes: dispatchNotes(sizes, latency) };
  },
};
