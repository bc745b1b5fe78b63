import { z } from 'zod';
import type { KvBucket } from '#libs/bus';
import { Token, VumiApiEvent } from '#libs/events';
import { isRevisionConflict, JsonKv, type Versioned } from './jsonKv.js';

/** One POST of a delivery and what came back. */
export const DeliveryAttempt = z.object({
  n: z.number().int().min(1),
  at: z.iso.datetime({ offset: true }),
  duration_ms: z.number().min(0),
  /** The receiver's HTTP status, when it answered at all. */
  status: z.number().int().optional(),
  /** The start of the response body. */
  response: z.string().optional(),
  /** Why the attempt failed: a status other than 2xx, a redirect, a timeout, a refused connection. */
  error: z.string().optional(),
});

export const DeliveryStatus = z.enum(['retrying', 'succeeded', 'dead']);

export const DeadReason = z.enum(['retries_exhausted', 'subscription_disabled', 'url_refused']);

/** An event on its way to one subscription: every attempt, and where it stands. */
export const Delivery = z.object({
  /** Also the `webhook-id` of every attempt, so a receiver can drop a repeat. */
  id: Token,
  account_key: Token,
  subscription_id: Token,
  event: VumiApiEvent,
  status: DeliveryStatus,
  attempt_count: z.number().int().min(0),
  /** The latest attempts (older ones are dropped past a limit; attempt_count counts them all). */
  attempts: z.array(DeliveryAttempt),
  /** When its current retry window opened: its first attempt, or the first after a replay. */
  window_started_at: z.iso.datetime({ offset: true }).optional(),
  next_attempt_at: z.iso.datetime({ offset: true }).optional(),
  dead_reason: DeadReason.optional(),
  replays: z.number().int().min(0),
  created_at: z.iso.datetime({ offset: true }),
  updated_at: z.iso.datetime({ offset: true }),
});

export type DeliveryAttempt = z.infer<typeof DeliveryAttempt>;
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;
export type DeadReason = z.infer<typeof DeadReason>;
export type Delivery = z.infer<typeof Delivery>;

/**
 * Delivery records, keyed `<account>.<subscription>.<delivery>`: one subscription's deliveries
 * are one key prefix. The bucket has a TTL (7 days, as EVENTS by default), so records of old
 * deliveries go by themselves.
 */
export class DeliveryRepository {
  private readonly docs: JsonKv<typeof Delivery>;

  constructor(bucket: KvBucket) {
    this.docs = new JsonKv(bucket, Delivery);
  }

  async get(account: string, subscriptionId: string, id: string): Promise<Delivery | undefined> {
    return (await this.read(account, subscriptionId, id))?.value;
  }

  /** The record with its revision, to update it after without reading it again. */
  read(account: string, subscriptionId: string, id: string): Promise<Versioned<Delivery> | undefined> {
    return this.docs.get(`${account}.${subscriptionId}.${id}`);
  }

  /**
   * Read-modify-write under compare-and-set; `change` gets undefined before the first attempt.
   * Given what `read` answered (`known`), the write goes straight to a compare-and-set on that
   * revision, one round trip when nobody else wrote in between, and reads again only if somebody did.
   */
  async update(
    account: string,
    subscriptionId: string,
    id: string,
    change: (current: Delivery | undefined) => Delivery | undefined,
    known?: { record: Versioned<Delivery> | undefined },
  ): Promise<Versioned<Delivery> | undefined> {
    const key = `${account}.${subscriptionId}.${id}`;
    if (known) {
      const next = change(known.record?.value);
      if (next === undefined) return known.record;
      try {
        const revision = known.record ? await this.docs.update(key, next, known.record.revision) : await this.docs.create(key, next);
        return { value: next, revision };
      } catch (err) {
        if (!isRevisionConflict(err)) throw err;
      }
    }
    return this.docs.mutate(key, change);
  }

  /** Every record of the subscription still kept, in no particular order. */
  list(account: string, subscriptionId: string): Promise<Delivery[]> {
    return this.docs.values(`${account}.${subscriptionId}.*`);
  }
}
