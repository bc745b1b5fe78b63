import type { KvBucket } from '../bus/index.js';
import { z } from 'zod';
import { Token, VumiApiEvent } from '../events/index.js';
import { CHANNEL_TYPES, MessageStatus } from '../vonage/index.js';
import { JsonKv } from './jsonKv.js';
import { accountFilter, accountKey, indexKey } from './keys.js';

export const Condition = z.enum(['read', 'delivered']);

/** One channel of a user, resolved: where to send, from which sender, and what counts as success. */
export const PlanChannel = z.object({
  type: z.enum(CHANNEL_TYPES),
  to: z.string(),
  from: z.string(),
  condition: Condition,
  /** Seconds to wait for the condition before failing over; the last channel waits the user's final_expiry_s. */
  expiry_s: z.number().int().positive(),
});

export const PlanUser = z.object({
  name: z.string(),
  contact_id: z.string().optional(),
  channels: z.array(PlanChannel).min(2),
  final_expiry_s: z.number().int().positive(),
});

export const EscalationPlan = z.object({
  mode: z.enum(['messages', 'dispatch']),
  users: z.array(PlanUser).min(1),
  /** Passes over the whole user list: 1 + repeat. */
  rounds: z.number().int().min(1),
  /** The message, with `{{user.*}}` still to render per user. */
  text: z.string(),
});

export const AttemptResult = z.enum(['read', 'delivered', 'replied', 'failed', 'expired', 'superseded']);

export const Attempt = z.object({
  n: z.number().int().min(0),
  round: z.number().int().min(0),
  user: z.number().int().min(0),
  user_name: z.string(),
  channel_index: z.number().int().min(0),
  channel: z.enum(CHANNEL_TYPES),
  to: z.string(),
  condition: Condition,
  message_uuid: z.string().optional(),
  dispatch_uuid: z.string().optional(),
  sent_at: z.string().optional(),
  /** When this attempt gives way to the next, if its condition is not met. */
  deadline_at: z.string().optional(),
  statuses: z.array(z.object({ status: MessageStatus, at: z.string() })),
  result: AttemptResult.optional(),
  error: z.string().optional(),
});

/** Dispatch mode: one Vonage failover workflow per user per round. */
export const DispatchRun = z.object({
  round: z.number().int().min(0),
  user: z.number().int().min(0),
  dispatch_uuid: z.string().optional(),
  created_at: z.string().optional(),
  final_status: z.enum(['completed', 'error']).optional(),
  final_at: z.string().optional(),
  /** Until when a read of this user's messages is awaited before moving on. */
  deadline_at: z.string().optional(),
});

/**
 * Work decided by a state change, written in the same compare-and-set as the change and done
 * after it (an outbox): a crash between the two leaves the work in the document, and whoever
 * touches the escalation next does it. Each effect is idempotent; one worker at a time does
 * them (see `flush_lease_until`).
 */
export const Effect = z.discriminatedUnion('kind', [
  z.object({ id: z.string(), kind: z.literal('send'), attempt: z.number().int() }),
  z.object({ id: z.string(), kind: z.literal('dispatch'), run: z.number().int() }),
  z.object({ id: z.string(), kind: z.literal('timer'), task: z.enum(['expire_attempt', 'expire_run']), target: z.number().int(), due_at: z.number() }),
  z.object({ id: z.string(), kind: z.literal('emit'), event_type: Token, event_data: z.record(z.string(), z.unknown()) }),
  z.object({ id: z.string(), kind: z.literal('index_address'), channel: z.enum(CHANNEL_TYPES), to: z.string() }),
]);

export const EscalationStatus = z.enum(['active', 'read', 'exhausted', 'cancelled']);

export const Outcome = z.object({
  status: z.enum(['read', 'delivered', 'replied']),
  user: z.string(),
  channel: z.enum(CHANNEL_TYPES),
  attempt: z.number().int(),
  at: z.string(),
  elapsed_ms: z.number(),
});

export const Escalation = z.object({
  id: Token,
  account_key: Token,
  route_id: z.string(),
  step: z.number().int(),
  /** The event that started it: outcome events keep its conversation and chain from it. */
  trigger: VumiApiEvent,
  plan: EscalationPlan,
  status: EscalationStatus,
  cursor: z.object({ round: z.number().int(), user: z.number().int(), channel: z.number().int() }),
  attempts: z.array(Attempt),
  dispatches: z.array(DispatchRun),
  outbox: z.array(Effect),
  /** Until when one worker is doing the outbox; others leave it to that worker. */
  flush_lease_until: z.number().optional(),
  outcome: Outcome.optional(),
  started_at: z.string(),
  ended_at: z.string().optional(),
  updated_at: z.string(),
});

export type Condition = z.infer<typeof Condition>;
export type PlanChannel = z.infer<typeof PlanChannel>;
export type PlanUser = z.infer<typeof PlanUser>;
export type EscalationPlan = z.infer<typeof EscalationPlan>;
export type Attempt = z.infer<typeof Attempt>;
export type DispatchRun = z.infer<typeof DispatchRun>;
export type Effect = z.infer<typeof Effect>;
export type EscalationStatus = z.infer<typeof EscalationStatus>;
export type Outcome = z.infer<typeof Outcome>;
export type Escalation = z.infer<typeof Escalation>;

const EscalationRef = z.object({ account_key: Token, id: Token });
export type EscalationRef = z.infer<typeof EscalationRef>;

/**
 * Escalations, changed only by compare-and-set, with two indexes: from a recipient address to
 * the escalations that messaged it (replies carry no account), and from a Dispatch workflow to
 * its escalation (Dispatch webhooks carry no client_ref).
 */
export class EscalationRepository {
  readonly docs: JsonKv<typeof Escalation>;
  private readonly refs: JsonKv<typeof EscalationRef>;

  constructor(bucket: KvBucket) {
    this.docs = new JsonKv(bucket, Escalation);
    this.refs = new JsonKv(bucket, EscalationRef);
  }

  static key(account: string, id: string): string {
    return accountKey(account, id);
  }

  async get(account: string, id: string): Promise<Escalation | undefined> {
    return (await this.docs.get(accountKey(account, id)))?.value;
  }

  list(account: string): Promise<Escalation[]> {
    return this.docs.values(accountFilter(account));
  }

  /** Remembers that an escalation messaged this address, so a reply from it can find the escalation. */
  async indexAddress(channel: string, to: string, ref: EscalationRef): Promise<void> {
    await this.refs.put(`${indexKey('_reply', 'addr', `${channel}:${to}`)}.${ref.account_key}.${ref.id}`, ref);
  }

  /** Escalations that messaged this address. */
  async byAddress(channel: string, to: string): Promise<EscalationRef[]> {
    return this.refs.values(`${indexKey('_reply', 'addr', `${channel}:${to}`)}.>`);
  }

  async indexDispatch(dispatchUuid: string, ref: EscalationRef): Promise<void> {
    await this.refs.put(indexKey('_dispatch', 'uuid', dispatchUuid), ref);
  }

  async byDispatch(dispatchUuid: string): Promise<EscalationRef | undefined> {
    return (await this.refs.get(indexKey('_dispatch', 'uuid', dispatchUuid)))?.value;
  }
}
