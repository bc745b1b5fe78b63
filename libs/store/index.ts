import type { Buckets } from '#libs/bus';
import { BroadcastRepository } from './broadcasts.js';
import { ContactRepository } from './contacts.js';
import { DeliveryRepository } from './deliveries.js';
import { MessageRepository } from './messages.js';
import { RouteRepository } from './routes.js';
import { SubscriptionRepository } from './subscriptions.js';

export { Broadcast, BroadcastFailure, BroadcastRepository, MAX_LISTED_FAILURES, type BroadcastStart } from './broadcasts.js';
export { Contact, ContactChannel, ContactRepository, VariableValue, type ContactInput } from './contacts.js';
export { compareAndSet, isRevisionConflict, JsonKv, type RevisionedStore, type Versioned } from './jsonKv.js';
export { accountFilter, accountKey, indexKey } from './keys.js';
export { MessageRecord, MessageRepository, StatusReceipt, type SentMessage } from './messages.js';
export { LiveTable, type LiveTableOptions } from './liveTable.js';
export { inBatches } from './inBatches.js';
export { LruMap } from './lruMap.js';
export { Route, RouteMatch, RouteRepository, RouteStep, Wildcard } from './routes.js';
export { DeadReason, Delivery, DeliveryAttempt, DeliveryRepository, DeliveryStatus } from './deliveries.js';
export {
  AutoDisabled,
  EventTypePattern,
  Subscription,
  SubscriptionFilter,
  SubscriptionRepository,
  WebhookSecret,
  type SubscriptionInput,
} from './subscriptions.js';

/** The repositories over the provisioned buckets. */
export interface Stores {
  routes: RouteRepository;
  contacts: ContactRepository;
  messages: MessageRepository;
  broadcasts: BroadcastRepository;
  subscriptions: SubscriptionRepository;
  deliveries: DeliveryRepository;
}

export function createStores(buckets: Buckets): Stores {
  return {
    routes: new RouteRepository(buckets.routes),
    contacts: new ContactRepository(buckets.contacts),
    messages: new MessageRepository(buckets.messages),
    broadcasts: new BroadcastRepository(buckets.messages),
    subscriptions: new SubscriptionRepository(buckets.subscriptions),
    deliveries: new DeliveryRepository(buckets.deliveries),
  };
}
