import { DiscardPolicy, RetentionPolicy, StorageType, nanos, type StreamConfig } from 'nats';

/** Stream names: DESIGN.md's, and UNROUTED, DELIVERIES and RECEIPTS, which it does not list. */
export const STREAMS = {
  events: 'EVENTS',
  deadletter: 'DEADLETTER',
  timers: 'TIMERS',
  provider: 'PROVIDER',
  receipts: 'RECEIPTS',
  unrouted: 'UNROUTED',
  deliveries: 'DELIVERIES',
} as const;

/** KV bucket names; keys are `<account_key>.<id>`. */
export const BUCKETS = {
  routes: 'routes',
  contacts: 'contacts',
  escalations: 'escalations',
  messages: 'messages',
  hooks: 'hooks',
  subscriptions: 'subscriptions',
  deliveries: 'deliveries',
  revocations: 'revocations',
  limits: 'limits',
} as const;

/** Durable consumer names shared by every worker of a role. */
export const CONSUMERS = {
  dispatcher: 'dispatcher',
  timers: 'timers',
  provider: 'provider',
  deliveries: 'deliveries',
} as const;

/**
 * Durable consumers earlier versions made and nothing reads any more, deleted on provisioning:
 * the server would otherwise keep their state, and their backlog, for ever. Subscriptions were
 * matched through a consumer of EVENTS of their own until the dispatcher took that on.
 */
export const RETIRED_CONSUMERS: ReadonlyArray<{ stream: string; name: string }> = [{ stream: STREAMS.events, name: 'subscriptions' }];

export interface TopologyOptions {
  dedupeWindowS: number;
  eventsMaxAgeS: number;
}

const DAY_S = 24 * 3600;

export function streamConfigs(options: TopologyOptions): Array<Partial<StreamConfig> & { name: string }> {
  /** Provider webhooks as stored: looked up by subject (timelines, and before every escalation expiry). */
  const webhooks: Partial<StreamConfig> = {
    storage: StorageType.File,
    allow_direct: true,
    duplicate_window: nanos(options.dedupeWindowS * 1000),
    max_age: nanos(30 * DAY_S * 1000),
  };
  return [
    {
      name: STREAMS.events,
      subjects: ['events.>'],
      storage: StorageType.File,
      duplicate_window: nanos(options.dedupeWindowS * 1000),
      max_age: nanos(options.eventsMaxAgeS * 1000),
    },
    {
      name: STREAMS.deadletter,
      subjects: ['deadletter.>'],
      storage: StorageType.File,
      max_age: nanos(30 * DAY_S * 1000),
    },
    {
      // Work-queue retention: a timer is deleted once a worker has acted on it.
      name: STREAMS.timers,
      subjects: ['timers.>'],
      storage: StorageType.File,
      retention: RetentionPolicy.Workqueue,
      duplicate_window: nanos(options.dedupeWindowS * 1000),
    },
    { name: STREAMS.provider, subjects: ['provider.>'], ...webhooks },
    // Statuses no worker acts on, kept for the timelines only: no consumer reads this stream.
    { name: STREAMS.receipts, subjects: ['receipts.>'], ...webhooks },
    {
      name: STREAMS.unrouted,
      subjects: ['unrouted.>'],
      storage: StorageType.File,
      max_age: nanos(7 * DAY_S * 1000),
      max_msgs: 100_000,
      discard: DiscardPolicy.Old,
    },
    {
      // Webhook deliveries to send, one message per (event, subscription): work-queue retention
      // deletes each once delivered or given up; retries are delayed negative acks.
      name: STREAMS.deliveries,
      subjects: ['deliveries.>'],
      storage: StorageType.File,
      retention: RetentionPolicy.Workqueue,
      duplicate_window: nanos(options.dedupeWindowS * 1000),
    },
  ];
}

export const BUCKET_OPTIONS: Record<(typeof BUCKETS)[keyof typeof BUCKETS], { history: number; ttlMs?: number }> = {
  routes: { history: 5 },
  contacts: { history: 1 },
  escalations: { history: 1 },
  messages: { history: 1, ttlMs: 30 * DAY_S * 1000 },
  hooks: { history: 1 },
  subscriptions: { history: 1 },
  deliveries: { history: 1, ttlMs: 7 * DAY_S * 1000 },
  // Revoked API tokens' ids: a few, kept for ever (a revoked token must stay revoked until it expires).
  revocations: { history: 1 },
  // An operator's limits for one account: a document each.
  limits: { history: 1 },
};
