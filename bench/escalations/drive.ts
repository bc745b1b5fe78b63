import type { BenchContext } from '../harness/benchmark.js';
import { startStallMonitor, type Stalls } from '../harness/stallMonitor.js';
import { awaitOutcomes } from './awaitOutcomes.js';
import type { EscalationCase } from './cases.js';
import { cpuShares, readCpu, type CpuShares } from './cpu.js';
import type { Environment } from './environment.js';
import { connectionTraffic, trafficBetween, type ConnectionTraffic } from './natsMonitor.js';
import type { EscalationSizes } from './options.js';
import { watchOutcomes } from './outcomeWatch.js';
import { sampleProcess, sampleRss } from './procStats.js';
import { publishTriggers, type TriggerRun } from './triggers.js';

/** What was measured while the escalations ran; the verdict on them comes afterwards, from durable state. */
export interface Drive {
  /** Epoch ms of the first trigger. */
  startedAt: number;
  /** With no latency at all, the run would have lasted this long (ms). */
  idealMs: number;
  allEnded: boolean;
  triggers: TriggerRun;
  cpu: CpuShares;
  serverTraffic: ConnectionTraffic | undefined;
  /** This process's event loop: a busy simulator would show here. */
  loop: Stalls;
  /** VmHWM of each server process, and when the highest summed RSS was sampled. */
  peakRssBytes: number[];
  maxSampledRssAtMs: number;
  /** Outcome events seen again on the bus after the first (deduplicated by the stream, but worth knowing). */
  liveRepeats: number;
}

/** The server's connections are named "switchboard <roles>" (see libs/bus openBus and connectBus callers). */
const SERVER_CONNECTIONS = 'switchboard';

/**
 * Publishes the triggers in `order` at the run's rate and waits for every outcome, sampling the
 * server's RSS, every process's CPU and the server's NATS traffic around it.
 */
export async function driveRun(
  ctx: BenchContext,
  env: Environment,
  order: readonly EscalationCase[],
  sizes: EscalationSizes,
  routesRevision: number,
): Promise<Drive> {
  const { bus, serverPids, natsPid, monitor, sim } = env;
  const watch = watchOutcomes(bus);
  ctx.defer(() => watch.stop());
  const rss = sampleRss(serverPids);
  ctx.defer(() => rss.stop());
  const stalls = startStallMonitor();
  const trafficBefore = monitor ? await connectionTraffic(monitor, SERVER_CONNECTIONS) : undefined;
  const cpuBefore = readCpu(serverPids, natsPid);

  const counter = { published: 0 };
  const startedAt = Date.now();
  const publishing = publishTriggers(bus, order, { rate: sizes.rate, routesRevision, counter });
  publishing.catch(() => undefined); // awaited below
  const startOffsetMs = (position: number) => (sizes.rate > 0 ? (position / sizes.rate) * 1000 : 0);
  const idealMs = Math.max(
    startOffsetMs(order.length),
    ...order.map((one, position) => startOffsetMs(position) + one.expected.idealMs * sizes.scale),
  );
  const allEnded = await awaitOutcomes(ctx, sim, watch, {
    expected: order.length,
    idealEndAt: startedAt + idealMs,
    serverPids,
    natsPid,
    monitor,
    started: () => counter.published,
  });
  const triggers = await publishing;

  const cpuAfter = readCpu(serverPids, natsPid);
  const serverTraffic =
    monitor && trafficBefore ? trafficBetween(trafficBefore, await connectionTraffic(monitor, SERVER_CONNECTIONS)) : undefined;
  rss.stop();
  watch.stop();
  return {
    startedAt,
    idealMs,
    allEnded,
    triggers,
    cpu: cpuShares(cpuBefore, cpuAfter),
    serverTraffic,
    loop: stalls.stop(),
    peakRssBytes: serverPids.map((pid) => sampleProcess(pid).peakRssBytes),
    maxSampledRssAtMs: rss.maxSampledAtMs,
    liveRepeats: watch.repeats,
  };
}
