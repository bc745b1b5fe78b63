import { AckPolicy, DeliverPolicy, nanos, type ConsumerConfig, type JsMsg } from 'nats';
import type { Bus } from './connection.js';
import { nakAfter } from './nakAfter.js';

export interface DurableConsumerSpec {
  stream: string;
  /** Durable name: every worker using it shares the consumer, so each message goes to one of them. */
  name: string;
  filter?: string;
  /** How long a worker may hold a message before the server gives it to another (a crashed worker's, say). */
  ackWaitMs: number;
  maxAckPending: number;
}

export interface WorkerOptions {
  /** Messages handled at once by this process. */
  concurrency: number;
  /** Handles one message and settles it (ack, nak or term). */
  handle(msg: JsMsg): Promise<void>;
  /** Called when `handle` throws; the message is then redelivered after a second. */
  onError(err: unknown, msg: JsMsg): void;
}

export interface DurableWorker {
  stop(): Promise<void>;
}

const REDELIVER_AFTER_ERROR_MS = 1000;
const MIN_PULL_BATCH = 64;

/**
 * Creates the durable consumer, or brings its timing settings up to date when it exists. Retries
 * and dead letters are the workers' to decide, so the server never gives up on a message.
 */
export async function ensureDurableConsumer(bus: Bus, spec: DurableConsumerSpec): Promise<void> {
  const wanted: Partial<ConsumerConfig> = { ack_wait: nanos(spec.ackWaitMs), max_ack_pending: spec.maxAckPending };
  let existing: ConsumerConfig | undefined;
  try {
    existing = (await bus.jsm.consumers.info(spec.stream, spec.name)).config;
  } catch {
    await bus.jsm.consumers.add(spec.stream, {
      durable_name: spec.name,
      ...(spec.filter ? { filter_subject: spec.filter } : {}),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      max_deliver: -1,
      ...wanted,
    });
    return;
  }
  if (existing.ack_wait !== wanted.ack_wait || existing.max_ack_pending !== wanted.max_ack_pending) {
    await bus.jsm.consumers.update(spec.stream, spec.name, wanted);
  }
}

/** Consumes a durable consumer with bounded concurrency until stopped; stopping waits for messages in hand. */
export async function startDurableWorker(bus: Bus, spec: DurableConsumerSpec, options: WorkerOptions): Promise<DurableWorker> {
  await ensureDurableConsumer(bus, spec);
  const consumer = await bus.js.consumers.get(spec.stream, spec.name);
  // Pull in batches of at least 64 however low the concurrency: small pulls cost a round trip each.
  const messages = await consumer.consume({ max_messages: Math.max(options.concurrency, MIN_PULL_BATCH) });
  const inFlight = new Set<Promise<void>>();

  const loop = (async () => {
    for await (const msg of messages) {
      if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
      const work: Promise<void> = options
        .handle(msg)
        .catch((err: unknown) => {
          options.onError(err, msg);
          nakAfter(msg, REDELIVER_AFTER_ERROR_MS);
        })
        .finally(() => inFlight.delete(work));
      inFlight.add(work);
    }
  })();

  return {
    async stop() {
      await messages.close();
      await loop;
      await Promise.allSettled(inFlight);
    },
  };
}
