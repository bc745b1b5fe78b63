import type { JsMsg } from 'nats';
import { CONSUMERS, jsonOrUndefined, nakAfter, startDurableWorker, STREAMS, type Bus, type DurableWorker } from '#libs/bus';
import type { PoisonPolicy } from '#libs/deadletters';
import { errorMessage } from '#libs/errors';
import type { Logger } from '#libs/logger';
import type {
  DeadReason,
  Delivery,
  DeliveryAttempt,
  DeliveryRepository,
  DeliveryStatus,
  LiveTable,
  Subscription,
  Versioned,
} from '#libs/store';
import { DeliveryJob } from './deliveries.js';
import { nextRetryDelay, type RetrySchedule } from './retrySchedule.js';
import { webhookHeaders } from './signing.js';
import type { SubscriptionHealth } from './subscriptionHealth.js';
import type { DeliveryTargets } from './targetUrl.js';
import { postWebhook } from './webhookPost.js';

export interface DeliveryWorkerOptions {
  bus: Bus;
  subscriptions: LiveTable<Subscription>;
  records: DeliveryRepository;
  health: SubscriptionHealth;
  targets: DeliveryTargets;
  schedule: RetrySchedule;
  /** The time limit of one POST. */
  timeoutMs: number;
  concurrency: number;
  ackWaitMs: number;
  log: Logger;
  /** For a delivery that fails on our side (not its POST) every time. */
  poison: PoisonPolicy;
}

export type DeliveryResult = 'succeeded' | 'retrying' | 'dead' | 'dropped' | 'duplicate';

/** Attempts kept on a record; a delivery tried for 24 h makes about 30. */
const MAX_ATTEMPTS_KEPT = 50;

const decoder = new TextDecoder();

interface Outcome {
  status: DeliveryStatus;
  attempt?: Omit<DeliveryAttempt, 'n'>;
  nextAttemptAt?: number;
  deadReason?: DeadReason;
}

/** What to record, given when the delivery's retry window opened. */
type Decide = (windowStartedAt: number) => Outcome;

/**
 * POSTs queued deliveries, signed, to their subscriptions' URLs. A failed one goes back on the
 * stream with a delay (a delayed negative ack), doubling each time, until its window is over;
 * then it is dead: recorded, acknowledged, and replayable. Every attempt is written to the
 * delivery's record before the message is settled. A delivery that fails on our side on every
 * attempt (its record cannot be read, say) is dead-lettered, a NATS outage excepted.
 */
export class DeliveryWorker {
  private worker: DurableWorker | undefined;
  /** Deliveries being attempted here now, by id and replay. */
  private readonly inHand = new Set<string>();

  constructor(private readonly options: DeliveryWorkerOptions) {}

  async start(): Promise<void> {
    const { bus, concurrency, ackWaitMs, log, poison } = this.options;
    this.worker = await startDurableWorker(
      bus,
      // A delivery waiting for its retry is an unacknowledged message: the limit is deliveries in flight.
      { stream: STREAMS.deliveries, name: CONSUMERS.deliveries, filter: 'deliveries.>', ackWaitMs, maxAckPending: 1_000_000 },
      {
        concurrency,
        handle: async (msg) => void (await this.deliver(msg)),
        onRetry: (err, msg, retry) =>
          log.error(
            { err, subject: msg.subject, attempt: retry.attempt, transient: retry.transient, retry_in_ms: retry.inMs },
            'delivery failed on our side: redelivering',
          ),
        failures: {
          maxAttempts: poison.maxAttempts,
          delaysMs: poison.delaysMs,
          // A delivery is delivered again for every retry of its POST: only failures on our side are attempts here.
          count: 'failures',
          deadLetter: (msg, err, attempts) => this.deadLetter(msg, err, attempts),
        },
      },
    );
  }

  /** Filed under the delivery's account, with the job as queued (its event included). */
  private async deadLetter(msg: JsMsg, err: unknown, attempts: number): Promise<void> {
    const job = DeliveryJob.safeParse(jsonOrUndefined(msg.data));
    const ids = job.success
      ? {
          account_key: job.data.account_key,
          subscription_id: job.data.subscription_id,
          delivery_id: job.data.delivery_id,
          event_id: job.data.event.event_id,
        }
      : {};
    await this.options.poison.deadLetters.addPoison({
      consumer: CONSUMERS.deliveries,
      account: ids.account_key,
      msg,
      error: err,
      attempts,
    });
    this.options.log.error({ err, subject: msg.subject, ...ids, attempts }, 'delivery failed on our side on every attempt: dead-lettered');
  }

  async stop(): Promise<void> {
    await this.worker?.stop();
  }

  /**
   * Attempts one delivery and settles its message. JetStream may hand out a message again that
   * is still in hand here (nats-server 2.9 can, around a worker that went away), or that was
   * settled after all (an acknowledgement lost): the first is left to the attempt in progress,
   * the second is acknowledged without a POST. Across processes delivery stays at least once.
   */
  async deliver(msg: JsMsg): Promise<DeliveryResult> {
    const job = this.parse(msg);
    if (!job) return 'dropped';
    const key = `${job.delivery_id}:${job.replay ?? 0}`;
    if (this.inHand.has(key)) {
      this.options.log.debug(
        { delivery_id: job.delivery_id, seq: msg.seq },
        'delivery handed out again while in hand: left to the attempt in progress',
      );
      return 'duplicate';
    }
    this.inHand.add(key);
    try {
      return await this.attempt(msg, job);
    } finally {
      this.inHand.delete(key);
    }
  }

  private async attempt(msg: JsMsg, job: DeliveryJob): Promise<DeliveryResult> {
    const { subscriptions, records, health, log } = this.options;
    const ids = {
      account_key: job.account_key,
      subscription_id: job.subscription_id,
      delivery_id: job.delivery_id,
      event_id: job.event.event_id,
    };
    const known = { record: await records.read(job.account_key, job.subscription_id, job.delivery_id) };
    const recorded = known.record?.value;
    if (recorded && recorded.status !== 'retrying' && (job.replay ?? 0) <= recorded.replays) {
      log.debug({ ...ids, status: recorded.status }, 'delivery already settled: not sent again');
      msg.ack();
      return 'duplicate';
    }
    const write = (at: string, decide: Decide) => this.record(job, at, decide, known);
    const subscription = subscriptions.get(job.account_key, job.subscription_id);
    if (!subscription) {
      log.info(ids, 'subscription deleted: delivery dropped');
      msg.ack();
      return 'dropped';
    }
    if (!subscription.enabled) {
      // A crash may have come between disabling it and announcing that: whoever comes next announces.
      await health.announce(subscription);
      await write(new Date().toISOString(), () => ({ status: 'dead', deadReason: 'subscription_disabled' }));
      msg.ack();
      return 'dead';
    }

    let url: URL;
    try {
      url = await this.options.targets.check(subscription.url);
    } catch (err) {
      const at = new Date().toISOString();
      await write(at, () => ({ status: 'dead', deadReason: 'url_refused', attempt: { at, duration_ms: 0, error: errorMessage(err) } }));
      log.warn({ ...ids, reason: errorMessage(err) }, 'delivery URL refused: delivery dead');
      msg.ack();
      return 'dead';
    }

    const at = new Date().toISOString();
    const body = JSON.stringify(job.event);
    const heartbeat = setInterval(() => msg.working(), this.options.ackWaitMs / 3);
    let posted;
    try {
      posted = await postWebhook(
        url,
        body,
        webhookHeaders(subscription.secret, job.delivery_id, body),
        this.options.timeoutMs,
        this.options.targets.lookup,
      );
    } finally {
      clearInterval(heartbeat);
    }
    const { ok, ...attempt } = posted;

    if (ok) {
      await write(at, () => ({ status: 'succeeded', attempt: { at, ...attempt } }));
      await this.guarded(() => health.succeeded(subscription), ids);
      msg.ack();
      return 'succeeded';
    }

    const now = Date.now();
    const error = attempt.error ?? 'failed';
    const outcome = await write(at, (windowStartedAt) => {
      const delay = nextRetryDelay(this.options.schedule, msg.info.deliveryCount, windowStartedAt, now);
      return delay === undefined
        ? { status: 'dead', deadReason: 'retries_exhausted', attempt: { at, ...attempt } }
        : { status: 'retrying', attempt: { at, ...attempt }, nextAttemptAt: now + delay };
    });
    await this.guarded(() => health.failed(subscription, error, at, now), ids);
    if (outcome.nextAttemptAt === undefined) {
      log.warn({ ...ids, attempts: msg.info.deliveryCount, error }, 'delivery failed for its whole retry window: dead');
      msg.ack();
      return 'dead';
    }
    log.debug({ ...ids, attempt: msg.info.deliveryCount, error, retry_in_ms: outcome.nextAttemptAt - now }, 'delivery failed: retrying');
    nakAfter(msg, outcome.nextAttemptAt - now);
    return 'retrying';
  }

  private parse(msg: JsMsg): DeliveryJob | undefined {
    try {
      return DeliveryJob.parse(JSON.parse(decoder.decode(msg.data)));
    } catch (err) {
      // Only Switchboard writes DELIVERIES: a bad message there is a bug, kept in the log.
      this.options.log.error({ subject: msg.subject, seq: msg.seq, reason: errorMessage(err) }, 'delivery message is not valid: dropped');
      msg.term();
      return undefined;
    }
  }

  /** Health bookkeeping must not make a delivery that reached its receiver go out again. */
  private async guarded(work: () => Promise<void>, ids: Record<string, string>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.options.log.error({ ...ids, err }, 'could not update the subscription health');
    }
  }

  /**
   * Writes the outcome onto the delivery's record, under compare-and-set. The retry window opens
   * at the first attempt (and again at the first after a replay), so a subscription that fails
   * every attempt of a delivery has failed for at least the window when the delivery dies.
   */
  private async record(job: DeliveryJob, at: string, decide: Decide, known: { record: Versioned<Delivery> | undefined }): Promise<Outcome> {
    const now = new Date().toISOString();
    let outcome: Outcome | undefined;
    await this.options.records.update(
      job.account_key,
      job.subscription_id,
      job.delivery_id,
      (current): Delivery => {
        const base: Delivery = current ?? {
          id: job.delivery_id,
          account_key: job.account_key,
          subscription_id: job.subscription_id,
          event: job.event,
          status: 'retrying',
          attempt_count: 0,
          attempts: [],
          replays: 0,
          created_at: now,
          updated_at: now,
        };
        const replayed = job.replay !== undefined && base.replays < job.replay;
        const windowStartedAt = (!replayed && base.window_started_at) || at;
        outcome = decide(Date.parse(windowStartedAt));
        const count = base.attempt_count + (outcome.attempt ? 1 : 0);
        return {
          ...base,
          status: outcome.status,
          attempt_count: count,
          attempts: outcome.attempt ? [...base.attempts, { n: count, ...outcome.attempt }].slice(-MAX_ATTEMPTS_KEPT) : base.attempts,
          window_started_at: windowStartedAt,
          next_attempt_at: outcome.nextAttemptAt !== undefined ? new Date(outcome.nextAttemptAt).toISOString() : undefined,
          dead_reason: outcome.deadReason,
          replays: Math.max(base.replays, job.replay ?? 0),
          updated_at: now,
        };
      },
      known,
    );
    return outcome!;
  }
}
