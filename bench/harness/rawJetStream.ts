import { AckPolicy, DeliverPolicy, nanos } from 'nats';
import { STREAMS, streamConfigs, type Bus, type TopologyOptions } from '#libs/bus';
import { EVENTS_SUBJECT_ROOT, eventSubject, type VumiApiEvent } from '#libs/events';
import { publishWindowed, type OutgoingMessage } from './publisher.js';
import { encodedEvents, runPrefix } from './sampleEvents.js';
import { waitUntil } from './waitUntil.js';
import { runTimeoutMs, startTiming, throughput, type Throughput } from './throughput.js';

/**
 * The sizes of the dispatch benchmark's raw runs (its defaults), which the escalations benchmark's
 * yardstick runs too, so that the two benchmarks' raw figures compare.
 */
export const RAW_RUN_SIZES = { events: 20_000, window: 256, warmup: 5_000 } as const;

/** The baseline's own stream, so the Switchboard's dispatcher consumer (events.>) never sees its messages. */
export const RAW_STREAM = 'BENCH_RAW';
const RAW_SUBJECT_ROOT = 'bench_raw';

/** Same subject shape as EVENTS, under the baseline's root. */
function rawSubject(event: VumiApiEvent): string {
  return `${RAW_SUBJECT_ROOT}${eventSubject(event).slice(EVENTS_SUBJECT_ROOT.length)}`;
}

/** A stream configured exactly like EVENTS (file storage, duplicate window, max age), under another name. */
export async function createRawStream(bus: Bus, topology: TopologyOptions): Promise<void> {
  const events = streamConfigs(topology).find((config) => config.name === STREAMS.events);
  if (!events) throw new Error(`no ${STREAMS.events} stream in the topology`);
  await bus.jsm.streams.add({ ...events, name: RAW_STREAM, subjects: [`${RAW_SUBJECT_ROOT}.>`] });
}

/**
 * Baseline (a): publish the messages with the plain client while a durable pull consumer, with
 * the dispatcher's ack settings, consumes and acks each one; timed from the first publish to the
 * last ack. A new consumer per run (deliver new) sees exactly that run's messages.
 */
async function runRawJetStream(
  publisher: Bus,
  consumerBus: Bus,
  messages: readonly OutgoingMessage[],
  window: number,
  run: string,
): Promise<Throughput> {
  const name = `bench-raw-${run}`;
  await consumerBus.jsm.consumers.add(RAW_STREAM, {
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.New,
    ack_wait: nanos(30_000),
    max_ack_pending: 20_000,
  });
  const consumer = await consumerBus.js.consumers.get(RAW_STREAM, name);
  const incoming = await consumer.consume();
  let acked = 0;
  const consuming = (async () => {
    for await (const msg of incoming) {
      msg.ack();
      acked++;
    }
  })();
  consuming.catch(() => undefined); // awaited in the finally below
  try {
    const start = startTiming();
    const published = publishWindowed(publisher.js, messages, window);
    // Awaited below; marked handled now so a failure while waiting cannot crash the runner first.
    published.catch(() => undefined);
    const end = await waitUntil(`${messages.length} raw acks`, () => acked >= messages.length, runTimeoutMs(messages.length));
    await published;
    return throughput(messages.length, start, end);
  } finally {
    await incoming.close();
    await consuming;
    await consumerBus.jsm.consumers.delete(RAW_STREAM, name);
  }
}

/** `count` fresh sample events, encoded before the clock starts, through a raw run named `run`. */
export function runRawSample(publisher: Bus, consumerBus: Bus, run: string, count: number, window: number): Promise<Throughput> {
  return runRawJetStream(publisher, consumerBus, encodedEvents(runPrefix(run), count, rawSubject), window, run);
}
