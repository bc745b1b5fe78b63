import type { Bus } from '#libs/bus';
import { publishWindowed, type OutgoingMessage } from '../harness/publisher.js';
import { waitUntil } from '../harness/waitUntil.js';
import { assertAllHandled, type BenchSwitchboard } from './benchSwitchboard.js';
import { runTimeoutMs, startTiming, throughput, type Throughput } from '../harness/throughput.js';

/**
 * Switchboard (b): the same messages, published the same way, to EVENTS; timed from the first
 * publish until the dispatcher has handled them all (its `handled` count, bumped after the ack).
 */
export async function runSwitchboardThroughput(
  publisher: Bus,
  sb: BenchSwitchboard,
  messages: readonly OutgoingMessage[],
  window: number,
): Promise<Throughput> {
  const before = sb.dispatcher.stats.handled;
  const start = startTiming();
  const published = publishWindowed(publisher.js, messages, window);
  // Awaited below; marked handled now so a failure while waiting cannot crash the runner first.
  published.catch(() => undefined);
  const end = await waitUntil(
    `${messages.length} events handled`,
    () => sb.dispatcher.stats.handled - before >= messages.length,
    runTimeoutMs(messages.length),
  );
  await published;
  assertAllHandled(sb);
  return throughput(messages.length, start, end);
}
