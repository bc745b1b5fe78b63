import { z } from 'zod';
import { Token, VumiApiEvent } from '#libs/events';
import { CHANNEL_TYPES, MessageStatus } from '#libs/vonage';

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
  /** Empty only for an escalation that failed before it could be planned (`failure`). */
  users: z.array(PlanUser),
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
  /** Tries of this send the provider did not take (5xx, 429, no answer) while it is tried again. */
  send_failures: z.object({ count: z.number().int().min(1), first_at: z.string(), last_error: z.string() }).optional(),
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
  z.object({
    id: z.string(),
    kind: z.literal('timer'),
    task: z.enum(['expire_attempt', 'expire_run']),
    target: z.number().int(),
    due_at: z.number(),
  }),
  z.object({ id: z.string(), kind: z.literal('emit'), event_type: Token, event_data: z.record(z.string(), z.unknown()) }),
  z.object({ id: z.string(), kind: z.literal('index_address'), channel: z.enum(CHANNEL_TYPES), to: z.string() }),
]);

export const EscalationStatus = z.enum(['active', 'read', 'exhausted', 'cancelled', 'failed']);

/** Why an escalation could not start: its config once rendered, or its plan, is invalid. */
export const EscalationFailure = z.object({
  reason: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })),
});

export const Outcome = z.object({
  status: z.enum(['read', 'delivered', 'replied']),
  user: z.string(),
  channel: z.enum(CHANNEL_TYPES),
  attempt: z.number().int(),
  at: z.string(),
  elapsed_ms: z.number(),
});

/** What an escalation starts with and never changes: written once, beside its state. */
export const EscalationFrame = z.object({
  /** The event that started it: outcome events keep its conversation and chain from it. */
  trigger: VumiApiEvent,
  plan: EscalationPlan,
});

/** What changes as an escalation runs: each compare-and-set writes this alone. */
export const EscalationState = z.object({
  id: Token,
  account_key: Token,
  route_id: z.string(),
  step: z.number().int(),
  status: EscalationStatus,
  cursor: z.object({ round: z.number().int(), user: z.number().int(), channel: z.number().int() }),
  attempts: z.array(Attempt),
  dispatches: z.array(DispatchRun),
  outbox: z.array(Effect),
  /** Until when one worker is doing the outbox; others leave it to that worker. */
  flush_lease_until: z.number().optional(),
  outcome: Outcome.optional(),
  failure: EscalationFailure.optional(),
  started_at: z.string(),
  ended_at: z.string().optional(),
  updated_at: z.string(),
});

/** An escalation whole, as the engine and the API see it. */
export const Escalation = EscalationState.extend(EscalationFrame.shape);

/** An escalation as the API shows it: the trigger named by its event id, and no outbox or lease. */
export const EscalationView = Escalation.omit({ outbox: true, flush_lease_until: true, trigger: true }).extend({
  trigger_event_id: z.string(),
});

export function escalationView(esc: Escalation): EscalationView {
  const { outbox: _outbox, flush_lease_until: _lease, trigger, ...shown } = esc;
  return { ...shown, trigger_event_id: trigger.event_id };
}

export type Condition = z.infer<typeof Condition>;
export type PlanChannel = z.infer<typeof PlanChannel>;
export type PlanUser = z.infer<typeof PlanUser>;
export type EscalationPlan = z.infer<typeof EscalationPlan>;
export type Attempt = z.infer<typeof Attempt>;
export type DispatchRun = z.infer<typeof DispatchRun>;
export type Effect = z.infer<typeof Effect>;
export type EscalationStatus = z.infer<typeof EscalationStatus>;
export type Outcome = z.infer<typeof Outcome>;
export type EscalationFailure = z.infer<typeof EscalationFailure>;
export type EscalationFrame = z.infer<typeof EscalationFrame>;
export type EscalationState = z.infer<typeof EscalationState>;
export type Escalation = z.infer<typeof Escalation>;
export type EscalationView = z.infer<typeof EscalationView>;
