import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSwitchboard } from '../../apps/server/switchboard.js';
import { connectBus } from '#libs/bus';
import { createLogger } from '#libs/logger';
import { generateSecret } from '#libs/subscriptions';
import type { Benchmark } from '../harness/benchmark.js';
import { startBenchNats } from '../harness/nats.js';
import { once } from '../harness/once.js';
import { benchSettings } from '../dispatch/benchSwitchboard.js';
import { BENCH_ACCOUNT, LATENCY_EVENT_TYPE, THROUGHPUT_EVENT_TYPE } from '../harness/sampleEvents.js';
import { DELIVERIES_OPTIONS, sizesFrom } from './options.js';
import { startBenchReceiver } from './receiver.js';
import { latencyTables } from '../harness/latencyRun.js';
import { deliveriesFigures, deliveriesNotes, throughputTable } from './report.js';
import { runLatency, runThroughput, type DeliveriesSession, type DeliveryRun } from './runs.js';

/**
 * Webhook deliveries per second and their latency: events published on the bus, matched by a
 * Switchboard with the `dispatcher` role (which matches events against subscriptions; no route
 * takes them) and the `deliveries` role (product defaults, LOG_LEVEL=warn) against one
 * subscription, signed and POSTed to a receiver in a process of its own on loopback, which
 * answers 204 at once.
 */
export const deliveriesBenchmark: Benchmark = {
  name: 'deliveries',
  description:
    'webhook deliveries/s (published → POSTed to a fast local receiver → acknowledged), and publish-to-receipt latency at a fixed rate',
  options: DELIVERIES_OPTIONS,
  async run(ctx) {
    const sizes = sizesFrom(ctx);
    const nats = await startBenchNats(ctx);
    const dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-bench-deliveries-'));
    ctx.defer(() => rm(dataDir, { recursive: true, force: true }));
    const publisher = await connectBus(nats.url, { name: 'bench publisher' });
    ctx.defer(() => publisher.close());
    const receiver = await startBenchReceiver(ctx);

    const settings = benchSettings(nats.url, dataDir);
    const sb = await startSwitchboard({
      settings,
      roles: new Set(['dispatcher', 'deliveries'] as const),
      log: createLogger({ level: settings.logLevel, name: 'switchboard-bench' }),
    });
    ctx.defer(once(() => sb.stop()));
    await sb.stores.subscriptions.create(BENCH_ACCOUNT, {
      url: receiver.url,
      filter: { event_types: [THROUGHPUT_EVENT_TYPE, LATENCY_EVENT_TYPE], conversation_type: '*', conversation_key: '*' },
      secret: generateSecret(),
      enabled: true,
    });
    const session: DeliveriesSession = { ctx, sizes, publisher, sb, receiver };

    ctx.progress(`warming up: ${sizes.warmup} deliveries`);
    await runThroughput(session, sizes.warmup, 'warmup');
    const runs: DeliveryRun[] = [];
    for (let rep = 1; rep <= sizes.reps; rep++) {
      ctx.progress(`throughput: repetition ${rep} of ${sizes.reps}, ${sizes.events} deliveries`);
      runs.push(await runThroughput(session, sizes.events, `throughput-${rep}`));
    }
    ctx.print(throughputTable(runs));

    ctx.progress(`latency: ${sizes.rate} events/s for ${sizes.seconds} s`);
    const latency = await runLatency(session);
    ctx.print(`\n${latencyTables(latency, 'deliveries')}`);

    return {
      figures: deliveriesFigures(sizes, runs, latency),
      notes: deliveriesNotes(sizes, latency, settings.subscriptions.deliveryConcurrency),
    };
  },
};
