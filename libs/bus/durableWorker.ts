import { AckPolicy, DeliverPolicy, nanos, type ConsumerConfig, type JsMsg } from 'nats';
import type { Bus } from './connection.js';
import { nakAfter } from './nakAfter.js';
import { isTransientFailure } from './natsFailure.js';

export interface DurableConsumerSpec {
  stream: string;
  /** Durable name: every worker using it shares the consumer, so each message goes to one of them. */
  name: string;
  filter?: string;
  /** How long a worker may hold a message before the server gives it to another (a crashed worker's, say). */
  ackWaitMs: number;
  maxAckPending: number;
}

/** How long a message that failed waits, and how many failures it gets. */
export interface FailurePolicy {
  /** Attempts before the message is dead-lettered; a transient failure (a NATS outage) is retried past them. */
  maxAttempts: number;
  /** The delay before retry n is delaysMs[n-1]; the last one repeats. */
  delaysMs: readonly number[];
}

export interface DeadLettering extends FailurePolicy {
  /**
   * What counts as an attempt: every delivery (the server keeps that count, across workers and
   * restarts), or the deliveries in a row whose handling threw in this process, for a consumer
   * that offers messages again on purpose (a timer held back until due, a webhook POST retried).
   */
  count: 'deliveries' | 'failures';
  /** Files the message as a dead letter and logs it; the worker then terminates the message. */
  deadLetter(msg: JsMsg, err: unknown, attempts: number): Promise<void>;
}

/** A failure after which the message comes back. */
export interface RetryNotice {
  /** Attempts counted so far (a transient failure adds none). */
  attempt: number;
  transient: boolean;
  inMs: number;
}

export interface WorkerOptions {
  /** Messages handled at once by this process. */
  concurrency: number;
  /** Handles one message and settles it (ack, nak or term). */
  handle(msg: JsMsg): Promise<void>;
  /** Told of each failure after which the message is redelivered (a dead letter that could not be stored included). */
  onRetry(err: unknown, msg: JsMsg, retry: RetryNotice): void;
  /** Without it, a message whose handling keeps failing is offered again every second, for ever. */
  failures?: DeadLettering;
}

export interface DurableWorker {
  stop(): Promise<void>;
}

const RETRY_FOR_EVER: FailurePolicy = { maxAttempts: Number.POSITIVE_INFINITY, delaysMs: [1000] };
const MIN_PULL_BATCH = 64;
/** Messages whose failures a worker counts at once; the oldest is forgotten past it (one settled by another process, say). */
const MAX_COUNTED = 10_000;

function delayBefore(policy: FailurePolicy, retry: number): number {
  return policy.delaysMs[Math.min(retry, policy.delaysMs.length) - 1] ?? 0;
}

/** Failed handlings in a row of each message in this process, by stream sequence. */
class FailureCounts {
  private readonly counts = new Map<number, number>();

  add(seq: number): number {
    const count = (this.counts.get(seq) ?? 0) + 1;
    this.counts.delete(seq);
    this.counts.set(seq, count);
    if (this.counts.size > MAX_COUNTED) this.counts.delete(this.counts.keys().next().value!);
    return count;
  }

  get(seq: number): number {
    return this.counts.get(seq) ?? 0;
  }

  forget(seq: number): void {
    this.counts.delete(seq);
  }
}

/**
 * Settles a message whose handling threw. A transient failure is retried, with growing delays,
 * however often it happens: giving up during an outage would lose work. Any other failure is
 * retried until the message has had its attempts; then it is dead-lettered and terminated, so
 * that a message that fails the same way every time (a poison message) does not loop for ever.
 */
async function afterFailure(msg: JsMsg, err: unknown, options: WorkerOptions, counts: FailureCounts): Promise<void> {
  const { failures } = options;
  const policy = failures ?? RETRY_FOR_EVER;
  const transient = isTransientFailure(err);
  const byFailures = failures?.count === 'failures';
  const attempt = byFailures ? (transient ? counts.get(msg.seq) : counts.add(msg.seq)) : msg.info.deliveryCount;
  const retry = (cause: unknown) => {
    const outage = isTransientFailure(cause);
    const inMs = delayBefore(policy, outage ? msg.info.deliveryCount : attempt);
    options.onRetry(cause, msg, { attempt, transient: outage, inMs });
    nakAfter(msg, inMs);
  };
  if (!failures || transient || attempt < failures.maxAttempts) return retry(err);
  try {
    await failures.deadLetter(msg, err, attempt);
  } catch (deadLetterErr) {
    // Not filed: the message stays, to be dead-lettered when it fails again.
    return retry(deadLetterErr);
  }
  counts.forget(msg.seq);
  msg.term();
}

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
  const counts = new FailureCounts();

  const loop = (async () => {
    for await (const msg of messages) {
      if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
      const work: Promise<void> = options
        .handle(msg)
        .then(
          () => counts.forget(msg.seq),
          (err: unknown) => afterFailure(msg, err, options, counts),
        )
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
