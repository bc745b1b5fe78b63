import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { KvBucket } from '#libs/bus';
import { Token } from '#libs/events';
import type { Logger } from '#libs/logger';
import { JsonKv, type Versioned } from './jsonKv.js';
import { accountFilter, accountKey } from './keys.js';
import { LiveTable } from './liveTable.js';
import { Wildcard } from './routes.js';

/** An event type, or a pattern where `*` stands for any run of characters: `escalation_*`. */
export const EventTypePattern = z
  .string()
  .regex(
    /^[A-Za-z0-9_*-]{1,64}$/,
    'must be an event type (1 to 64 of A-Z, a-z, 0-9, "_", "-") where "*" stands for any characters, e.g. "escalation_*"',
  );

/** Which events a subscription receives. Strict: a misspelt key must not widen it to every event. */
export const SubscriptionFilter = z.strictObject({
  event_types: z.array(EventTypePattern).min(1, 'list at least one event type, or "*" for all').max(32).default(['*']),
  conversation_type: Wildcard.default('*'),
  conversation_key: Wildcard.default('*'),
});

const SECRET_PREFIX = 'whsec_';
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;

/** A Standard Webhooks signing secret: `whsec_` and the base64 of 24 to 64 bytes. */
export const WebhookSecret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, { message: 'must be "whsec_" followed by base64, as Standard Webhooks secrets are', abort: true })
  .refine((secret) => {
    const bytes = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64').length;
    return bytes >= MIN_SECRET_BYTES && bytes <= MAX_SECRET_BYTES;
  }, `must encode ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes`);

/** Set when Switchboard disabled the subscription itself, after it failed for too long. */
export const AutoDisabled = z.object({
  reason: z.literal('failing'),
  at: z.iso.datetime({ offset: true }),
  failing_since: z.iso.datetime({ offset: true }),
  /** Whether `subscription_disabled` has been published (set after it was). */
  announced: z.boolean(),
});

export const Subscription = z.object({
  id: Token,
  account_key: Token,
  url: z.url(),
  description: z.string().max(1000).optional(),
  filter: SubscriptionFilter,
  secret: WebhookSecret,
  enabled: z.boolean(),
  /** Since when every delivery attempt has failed; a success clears it. */
  failing_since: z.iso.datetime({ offset: true }).optional(),
  disabled: AutoDisabled.optional(),
  created_at: z.iso.datetime({ offset: true }),
  updated_at: z.iso.datetime({ offset: true }),
});

export type EventTypePattern = z.infer<typeof EventTypePattern>;
export type SubscriptionFilter = z.infer<typeof SubscriptionFilter>;
export type Subscription = z.infer<typeof Subscription>;

export type SubscriptionInput = Pick<Subscription, 'url' | 'description' | 'filter' | 'secret' | 'enabled'>;

/** Outbound webhook subscriptions, per account; every change is a compare-and-set. */
export class SubscriptionRepository {
  private readonly docs: JsonKv<typeof Subscription>;

  constructor(bucket: KvBucket) {
    this.docs = new JsonKv(bucket, Subscription);
  }

  async get(account: string, id: string): Promise<Subscription | undefined> {
    return (await this.docs.get(accountKey(account, id)))?.value;
  }

  list(account: string): Promise<Subscription[]> {
    return this.docs.values(accountFilter(account));
  }

  /** Creates a subscription under a new random id. */
  async create(account: string, input: SubscriptionInput): Promise<Subscription> {
    const now = new Date().toISOString();
    const subscription: Subscription = {
      id: `sub_${randomBytes(12).toString('base64url')}`,
      account_key: account,
      ...input,
      created_at: now,
      updated_at: now,
    };
    await this.docs.create(accountKey(account, subscription.id), subscription);
    return subscription;
  }

  /**
   * Changes a subscription under compare-and-set: `change` gets the current one and returns the
   * next (or undefined to leave it). Undefined when there is no such subscription.
   */
  async update(
    account: string,
    id: string,
    change: (current: Subscription) => Subscription | undefined,
  ): Promise<Versioned<Subscription> | undefined> {
    let found = true;
    const saved = await this.docs.mutate(accountKey(account, id), (current) => {
      found = current !== undefined;
      return current && change(current);
    });
    return found ? saved : undefined;
  }

  async delete(account: string, id: string): Promise<boolean> {
    return (await this.docs.delete(accountKey(account, id))) !== undefined;
  }

  /** Every subscription, kept current by watching the bucket: what the delivery workers match against. */
  live(log: Logger): Promise<LiveTable<Subscription>> {
    return LiveTable.start(this.docs.kv, Subscription, { kind: 'subscription', log });
  }
}
