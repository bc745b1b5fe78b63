import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningSwitchboard } from '../../apps/server/switchboard.js';
import { STREAMS, type Bus } from '#libs/bus';
import { eventSubject } from '#libs/events';
import type { BenchContext } from '../harness/benchmark.js';
import { publishWindowed } from '../harness/publisher.js';
import { latencyRun, type LatencyRun } from '../harness/latencyRun.js';
import { startStallMonitor, type Stalls } from '../harness/stallMonitor.js';
import { waitUntil } from '../harness/waitUntil.js';
import { sendPaced } from '../dispatch/latency.js';
import { encodedEvents, runPrefix } from '../harness/sampleEvents.js';
import { runTimeoutMs, startTiming, throughput, type Throughput } from '../harness/throughput.js';
import type { DeliveriesSizes } from './options.js';
import type { BenchReceiver } from './receiver.js';

/** What every run shares: one nats-server, one Switchboard with the dispatcher and deliveries roles, one receiver. */
export interface DeliveriesSession {
  ctx: BenchContext;
  sizes: DeliveriesSizes;
  publisher: Bus;
  sb: RunningSwitchboard;
  receiver: BenchReceiver;
}

export interface DeliveryRun extends Throughput {
  /** POSTs beyond one per delivery (at least once allows them; a quiet run should have none). */
  repeats: number;
}

/**
 * Waits until the receiver has every delivery, then until every delivery message has been
 * acknowledged (the work queue is empty: each was recorded and settled); answers that moment.
 */
async function deliveredAndAcknowledged(session: DeliveriesSession, count: number, timeoutMs: number): Promise<number> {
  const { receiver, sb } = session;
  const deadline = performance.now() + timeoutMs;
  await waitUntil(`${count} deliveries at the receiver (have ${receiver.distinct})`, () => receiver.distinct >= count, timeoutMs);
  for (;;) {
    if ((await sb.bus.jsm.streams.info(STREAMS.deliveries)).state.messages === 0) return performance.now();
    if (performance.now() > deadline) throw new Error('deliveries were received but not all acknowledged in time');
    await sleep(2);
  }
}

/**
 * One throughput run: `count` events published with a window of acks outstanding, each matching
 * the one subscription, timed from the first publish until the last delivery is acknowledged.
 */
export async function runThroughput(session: DeliveriesSession, count: number, label: string): Promise<DeliveryRun> {
  const { receiver, publisher, sizes } = session;
  const messages = encodedEvents(runPrefix(label), count, eventSubject);
  receiver.reset();
  const start = startTiming();
  await publishWindowed(publisher.js, messages, sizes.window);
  const end = await deliveredAndAcknowledged(session, count, runTimeoutMs(count));
  if (receiver.distinct !== count) throw new Error(`${label}: ${receiver.distinct} distinct deliveries for ${count} events`);
  return { ...throughput(count, start, end), repeats: receiver.posts - receiver.distinct };
}

/** Events at a fixed rate; each delivery's latency is from the publish stamp to the receiver's read of the body. */
export async function runLatency(session: DeliveriesSession): Promise<LatencyRun> {
  const { receiver, publisher, sizes } = session;
  const count = Math.round(sizes.rate * sizes.seconds);
  receiver.reset();
  const monitor = startStallMonitor();
  let sending: Awaited<ReturnType<typeof sendPaced>>;
  let stalls: Stalls;
  try {
    sending = await sendPaced(publisher, count, sizes.rate, runPrefix('latency'));
    await deliveredAndAcknowledged(session, count, 30_000);
  } finally {
    stalls = monitor.stop();
  }
  if (receiver.latencies.length !== count) throw new Error(`latency: ${receiver.latencies.length} stamped deliveries for ${count} events`);
  return latencyRun({ rate: sizes.rate, events: count, latencies: receiver.latencies, sending, stalls });
}
