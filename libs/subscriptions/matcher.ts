import type { JsMsg } from 'nats';
import { CONSUMERS, startDurableWorker, STREAMS, type Bus, type DurableWorker } from '../bus/index.js';
import { accountOfSubject, ONLY_ROUTE_HEADER } from '../dispatcher/index.js';
import { EVENTS_SUBJECT_ROOT, readBusEvent } from '../events/index.js';
import type { Logger } from '../logger/index.js';
import type { LiveTable, Subscription } from '../store/index.js';
import type { Deliveries } from './deliveries.js';
import { subscriptionMatches } from './matching.js';

export interface MatcherOptions {
  bus: Bus;
  subscriptions: LiveTable<Subscription>;
  deliveries: Deliveries;
  concurrency: number;
  ackWaitMs: number;
  log: Logger;
}

/**
 * Reads EVENTS through a durable consumer of its own (the dispatcher's is untouched) and queues a
 * delivery for every enabled subscription of the event's account whose filter takes it. The
 * event is acknowledged only once its deliveries are stored, so none is lost to a crash.
 */
export class SubscriptionMatcher {
  private worker: DurableWorker | undefined;

  constructor(private readonly options: MatcherOptions) {}

  async start(): Promise<void> {
    const { bus, concurrency, ackWaitMs, log } = this.options;
    this.worker = await startDurableWorker(
      bus,
      // Created on a deployment that already has events: subscriptions are for what happens from now on.
      { stream: STREAMS.events, name: CONSUMERS.subscriptions, filter: `${EVENTS_SUBJECT_ROOT}.>`, ackWaitMs, maxAckPending: 20_000, startAt: 'new' },
      {
        concurrency,
        handle: async (msg) => void (await this.match(msg)),
        onError: (err, msg) => log.error({ err, subject: msg.subject }, 'matching subscriptions failed: redelivering'),
      },
    );
  }

  async stop(): Promise<void> {
    await this.worker?.stop();
  }

  /** Queues the event's deliveries and acknowledges it; answers how many were queued. */
  async match(msg: JsMsg): Promise<number> {
    const { subscriptions, deliveries, log } = this.options;
    const candidates = [...subscriptions.inAccount(accountOfSubject(msg.subject))];
    const read = candidates.length > 0 ? readBusEvent(msg.subject, msg.data) : undefined;
    // Nothing to parse for an account without subscriptions; a malformed message is the
    // dispatcher's to dead-letter; a replay of a dead letter re-runs one route, and the event's
    // subscribers have had it already.
    if (!read?.ok || msg.headers?.get(ONLY_ROUTE_HEADER)) {
      msg.ack();
      return 0;
    }
    const { event } = read;
    const matched: Subscription[] = [];
    for (const subscription of candidates) {
      if (subscriptionMatches(subscription, event)) matched.push(subscription);
    }
    await Promise.all(matched.map((subscription) => deliveries.enqueue(subscription, event)));
    if (matched.length > 0) {
      log.debug({ event_id: event.event_id, subscriptions: matched.map((one) => one.id) }, 'deliveries queued');
    }
    msg.ack();
    return matched.length;
  }
}
