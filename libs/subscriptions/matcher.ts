import type { EventSubscribers } from '#libs/dispatcher';
import type { VumiApiEvent } from '#libs/events';
import type { Logger } from '#libs/logger';
import type { LiveTable, Subscription } from '#libs/store';
import type { Deliveries } from './deliveries.js';
import { subscriptionMatches } from './matching.js';

export interface MatcherOptions {
  subscriptions: LiveTable<Subscription>;
  deliveries: Deliveries;
  log: Logger;
}

/**
 * Queues a delivery for every enabled subscription of an event's account whose filter takes it.
 * The dispatcher calls it for each event it takes from EVENTS and acknowledges the event only
 * once its deliveries are stored, so none is lost to a crash, and an event is read once for its
 * routes and its subscriptions.
 */
export class SubscriptionMatcher implements EventSubscribers {
  constructor(private readonly options: MatcherOptions) {}

  /** Answers how many deliveries were queued. */
  async queue(event: VumiApiEvent): Promise<number> {
    const { subscriptions, deliveries, log } = this.options;
    const matched: Subscription[] = [];
    for (const subscription of subscriptions.inAccount(event.account_key)) {
      if (subscriptionMatches(subscription, event)) matched.push(subscription);
    }
    if (matched.length === 0) return 0;
    await Promise.all(matched.map((subscription) => deliveries.enqueue(subscription, event)));
    log.debug({ event_id: event.event_id, subscriptions: matched.map((one) => one.id) }, 'deliveries queued');
    return matched.length;
  }
}
