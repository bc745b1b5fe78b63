import { z } from 'zod';
import { Token } from '#libs/events';
import type { Timers } from '#libs/timers';
import type { Effect, Escalation } from './model.js';

/** The timer handler name under which every escalation timer is stored. */
export const ESCALATION_TIMER = 'escalation';

/** What an escalation timer carries: which escalation, and what to do with it when due. */
export const TimerPayload = z.object({
  account_key: Token,
  id: Token,
  task: z.enum(['expire_attempt', 'expire_run', 'flush']),
  target: z.number().int(),
});
export type TimerPayload = z.infer<typeof TimerPayload>;

/** A flush of the outbox when its lease runs out at `leaseUntil`: a crashed holder's work is taken over then. */
export async function scheduleFlush(timers: Timers, esc: Escalation, leaseUntil: number): Promise<void> {
  const payload: TimerPayload = { account_key: esc.account_key, id: esc.id, task: 'flush', target: 0 };
  await timers.schedule(ESCALATION_TIMER, `${esc.account_key}.${esc.id}.flush-${leaseUntil}`, leaseUntil + 1, payload);
}

/** A timer effect of the outbox: an attempt's or a run's expiry. */
export async function scheduleExpiry(timers: Timers, esc: Escalation, effect: Extract<Effect, { kind: 'timer' }>): Promise<void> {
  const payload: TimerPayload = { account_key: esc.account_key, id: esc.id, task: effect.task, target: effect.target };
  // Keyed by its time too: a send recorded again after a crash sets a later deadline, whose timer
  // must not be taken for the first record's (a key is stored once) when that one has fired
  // already and found the attempt not yet sent.
  await timers.schedule(ESCALATION_TIMER, `${esc.account_key}.${esc.id}.${effect.id}.${effect.due_at}`, effect.due_at, payload);
}
