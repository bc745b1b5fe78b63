import { DiscardPolicy, RetentionPolicy, StorageType, nanos, type StreamConfig } from 'nats';

/** Stream names: DESIGN.md's, and UNROUTED, DELIVERIES, RECEIPTS and FANOUT, which it does not list. */
export const STREAMS = {
  events: 'EVENTS',
  deadletter: 'DEADLETTER',
  timers: 'TIMERS',
  provider: 'PROVIDER',
  receipts: 'RECEIPTS',
  unrouted: 'UNROUTED',
  deliveries: 'DELIVERIES',
  fanout: 'FANOUT',
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

const DAY_S = 24 * 3600;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/**
 * The limits an operator may set (SWITCHBOARD_EVENTS_MAX_BYTES and the rest in libs/config), with
 * their defaults. nats-server sets aside each stream's and bucket's max_bytes out of its store and
 * refuses a stream past what is left: every default below together, with room for the raw copy of
 * EVENTS the dispatch benchmark makes, fits the 10 GB that nats.conf gives JetStream.
 */
export const STORAGE_DEFAULTS = {
  eventsMaxBytes: 2 * GiB,
  deadLettersMaxAgeS: 30 * DAY_S,
  deadLettersMaxBytes: 512 * MiB,
  deliveriesMaxBytes: 1 * GiB,
  deliveryRecordsMaxAgeS: 7 * DAY_S,
} as const;

export type StorageLimits = { -readonly [K in keyof typeof STORAGE_DEFAULTS]: number };

export interface TopologyOptions extends Partial<StorageLimits> {
  dedupeWindowS: number;
  eventsMaxAgeS: number;
}

/**
 * Every stream's limits. Two kinds: a history (EVENTS, PROVIDER, RECEIPTS, UNROUTED) drops its
 * oldest messages when full, long since acted on; anything still to be acted on (the work queues
 * TIMERS and DELIVERIES, dead letters, and every bucket) refuses new messages instead, so nothing
 * waiting is ever dropped: its writer fails, and the message that wrote is retried.
 */
export function streamConfigs(options: TopologyOptions): Array<Partial<StreamConfig> & { name: string }> {
  const limits = { ...STORAGE_DEFAULTS, ...options };
  /** Provider webhooks as stored: looked up by subject (timelines, and before every escalation expiry). */
  const webhooks: Partial<StreamConfig> = {
    storage: StorageType.File,
    allow_direct: true,
    duplicate_window: nanos(options.dedupeWindowS * 1000),
    max_age: nanos(30 * DAY_S * 1000),
    max_bytes: 512 * MiB,
    discard: DiscardPolicy.Old,
  };
  return [
    {
      name: STREAMS.events,
      subjects: ['events.>'],
      storage: StorageType.File,
      duplicate_window: nanos(options.dedupeWindowS * 1000),
      max_age: nanos(options.eventsMaxAgeS * 1000),
      max_bytes: limits.eventsMaxBytes,
      discard: DiscardPolicy.Old,
    },
    {
      name: STREAMS.deadletter,
      subjects: ['deadletter.>'],
      storage: StorageType.File,
      max_age: nanos(limits.deadLettersMaxAgeS * 1000),
      max_bytes: limits.deadLettersMaxBytes,
      discard: DiscardPolicy.New,
    },
    {
      // Work-queue retention: a timer is deleted once a worker has acted on it.
      name: STREAMS.timers,
      subjects: ['timers.>'],
      storage: StorageType.File,
      retention: RetentionPolicy.Workqueue,
      duplicate_window: nanos(options.dedupeWindowS * 1000),
      max_bytes: 256 * MiB,
      discard: DiscardPolicy.New,
    },
    { name: STREAMS.provider, subjects: ['provider.>'], ...webhooks },
    // Statuses no worker acts on, kept for the timelines only: no consumer reads this stream.
    { name: STREAMS.receipts, subjects: ['receipts.>'], ...webhooks },
    {
      // One subject per account (`unrouted.<account>`): the per-subject cap is each account's share.
      name: STREAMS.unrouted,
      subjects: ['unrouted.>'],
      storage: StorageType.File,
      max_age: nanos(7 * DAY_S * 1000),
      max_msgs: 100_000,
      max_msgs_per_subject: 10_000,
      max_bytes: 256 * MiB,
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
      max_bytes: limits.deliveriesMaxBytes,
      discard: DiscardPolicy.New,
    },
    {
      // Each root event's count of the events it caused (libs/dispatcher/fanoutBudget.ts): the last
      // message on `fanout.<account>.<root>` is the count, and each message's id is the caused
      // event's, so a redelivered event is not counted twice (hence the events' duplicate window).
      // A count lives a day after its last change; when full, the roots left quiet longest go first.
      name: STREAMS.fanout,
      subjects: ['fanout.>'],
      storage: StorageType.File,
      duplicate_window: nanos(options.dedupeWindowS * 1000),
      max_msgs_per_subject: 1,
      max_age: nanos(Math.max(DAY_S, options.dedupeWindowS) * 1000),
      max_bytes: 64 * MiB,
      discard: DiscardPolicy.Old,
    },
  ];
}

/** A bucket's limits: revisions kept per key (history), how long a revision lives, and its bytes (full: writes fail). */
export interface BucketOptions {
  history: number;
  ttlMs?: number;
  maxBytes?: number;
}

/** Every bucket's limits. */
export function bucketOptions(options: Partial<StorageLimits> = {}): Record<(typeof BUCKETS)[keyof typeof BUCKETS], BucketOptions> {
  const limits = { ...STORAGE_DEFAULTS, ...options };
  return {
    routes: { history: 5, maxBytes: 128 * MiB },
    contacts: { history: 1, maxBytes: 256 * MiB },
    escalations: { history: 1, maxBytes: 512 * MiB },
    messages: { history: 1, ttlMs: 30 * DAY_S * 1000, maxBytes: 512 * MiB },
    hooks: { history: 1, maxBytes: 128 * MiB },
    subscriptions: { history: 1, maxBytes: 128 * MiB },
    deliveries: { history: 1, ttlMs: limits.deliveryRecordsMaxAgeS * 1000, maxBytes: 256 * MiB },
    // Revoked API tokens' ids: a few, kept for ever (a revoked token must stay revoked until it expires).
    revocations: { history: 1, maxBytes: 8 * MiB },
    // An operator's limits for one account: a document each.
    limits: { history: 1, maxBytes: 8 * MiB },
  };
}
