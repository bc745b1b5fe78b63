import { errorMessage, isSwitchboardError } from '#libs/errors';
import type { CausedEventPublisher } from '#libs/events';
import { lazyChild, type Logger } from '#libs/logger';
import type { Messenger } from '#libs/messaging';
import { renderString } from '#libs/templates';
import type { Timers } from '#libs/timers';
import { exponentialDelayMs, type DispatchClient } from '#libs/vonage';
import type { Attempt, Effect, Escalation } from './model.js';
import { receiptRef, sendRef } from './references.js';
import type { EscalationRepository } from './repository.js';
import type { Timelines } from './timelines.js';
import { scheduleExpiry } from './timerTasks.js';
import * as transitions from './transitions.js';
import type { Scale, Transition } from './transitions.js';

/** The effects done together at once: everything but sends and workflows, which change the escalation. */
export type QuickEffect = Extract<Effect, { kind: 'emit' | 'timer' | 'index_address' }>;

export function isQuick(effect: Effect): effect is QuickEffect {
  return effect.kind === 'emit' || effect.kind === 'timer' || effect.kind === 'index_address';
}

export interface EffectRunnerOptions {
  escalations: EscalationRepository;
  messenger: Messenger;
  dispatch: DispatchClient;
  timers: Timers;
  events: CausedEventPublisher;
  timelines: Timelines;
  webhooks: { pendingUntil(deadline: number): number | undefined };
  scale: Scale;
  sendRetry: { baseMs: number; maxMs: number };
  log: Logger;
}

/**
 * Does the outbox's effects against the world: a send through the provider, a Dispatch workflow,
 * timers, index entries, events. A send or a workflow answers the transition that records it (or
 * its failure), for the outbox to apply; every effect is idempotent.
 */
export class EffectRunner {
  constructor(private readonly options: EffectRunnerOptions) {}

  /** Quick effects, in one go: events in the order they were decided (the attempt before the outcome), the rest at once. */
  async quick(esc: Escalation, effects: readonly QuickEffect[]): Promise<void> {
    const { events, timelines, timers, escalations } = this.options;
    const ref = { account_key: esc.account_key, id: esc.id };
    await Promise.all([
      (async () => {
        for (const one of effects) {
          if (one.kind !== 'emit') continue;
          const eventData = await timelines.inEventData(esc, one.event_data);
          await events.publish(
            esc.trigger,
            { event_type: one.event_type, event_data: eventData },
            { route_id: esc.route_id, origin: `escalation-${esc.id}-${one.id}` },
          );
        }
      })(),
      ...effects.map((one) =>
        one.kind === 'timer'
          ? scheduleExpiry(timers, esc, one)
          : one.kind === 'index_address'
            ? escalations.indexAddress(one.channel, one.to, ref)
            : undefined,
      ),
    ]);
  }

  /** Sends an attempt's message; answers the transition that records the send, or its failure. */
  async send(esc: Escalation, n: number, firstTry: boolean): Promise<Transition> {
    const { messenger, scale, log } = this.options;
    const attempt = esc.attempts.find((one) => one.n === n)!;
    // A receipt of an earlier try (its send cut short before the record) decided the attempt already.
    if (attempt.message_uuid !== undefined && attempt.result !== undefined) {
      const sent = { message_uuid: attempt.message_uuid, at: Date.now() };
      return (doc) => transitions.recordSent(doc, n, sent, scale);
    }
    const channel = esc.plan.users[attempt.user]!.channels[attempt.channel_index]!;
    const text = render(esc, attempt.user, { type: channel.type, to: channel.to }, { n, round: attempt.round });
    const elog = lazyChild(log, { escalation_id: esc.id, attempt: n, user: attempt.user_name, channel: channel.type });
    try {
      const { record } = await messenger.send({
        account: esc.account_key,
        channel: channel.type,
        to: channel.to,
        from: channel.from,
        text,
        ref: sendRef(esc, attempt),
        receiptRef: receiptRef(esc, attempt),
        firstTry,
      });
      elog.info({ message_uuid: record.message_uuid }, 'escalation message sent');
      // Receipts find the attempt by its client_ref, so one that beats this write is applied all the same.
      const sent = { message_uuid: record.message_uuid, at: Date.now() };
      return (doc) => transitions.recordSent(doc, n, sent, scale);
    } catch (err) {
      const retryAt = this.sendRetryAt(esc, attempt, err);
      if (retryAt !== undefined) {
        elog.warn(
          { err, retry_at: new Date(retryAt).toISOString(), tries: (attempt.send_failures?.count ?? 0) + 1 },
          'escalation message not taken by the provider: trying again',
        );
        return (doc, now) => transitions.sendRetrying(doc, n, { at: now, error: errorMessage(err) }, retryAt);
      }
      elog.warn({ err }, 'escalation message not sent: failing over');
      return (doc, now) => transitions.sendFailed(doc, n, errorMessage(err), now);
    }
  }

  /**
   * When to try a send again that the provider did not take, or undefined to fail over: an outage,
   * a rate limit or a send with no answer is no sign the user cannot be reached, so it is tried
   * again, backing off, for as long as the channel would have waited for the user.
   */
  private sendRetryAt(esc: Escalation, attempt: Attempt, err: unknown): number | undefined {
    if (!isSwitchboardError(err, 'provider_unavailable') && !isSwitchboardError(err, 'provider_outcome_unknown')) return undefined;
    const { sendRetry, scale, webhooks } = this.options;
    const now = Date.now();
    const user = esc.plan.users[attempt.user]!;
    const lastChannel = attempt.channel_index === user.channels.length - 1;
    const windowMs = scale(lastChannel ? user.final_expiry_s : user.channels[attempt.channel_index]!.expiry_s);
    const firstFailedAt = attempt.send_failures ? Date.parse(attempt.send_failures.first_at) : now;
    if (now - firstFailedAt >= windowMs) return undefined;
    const backoff = now + exponentialDelayMs((attempt.send_failures?.count ?? 0) + 1, sendRetry.baseMs, sendRetry.maxMs);
    // No answer: the provider may have taken it, and its webhook would say so; give it that time first.
    const retryAt = isSwitchboardError(err, 'provider_outcome_unknown') ? Math.max(backoff, webhooks.pendingUntil(now) ?? 0) : backoff;
    // The last try falls when the channel's time is up.
    return Math.min(retryAt, firstFailedAt + windowMs);
  }

  /** Creates a user's Dispatch workflow; answers the transition that records it, or its failure. */
  async startWorkflow(esc: Escalation, index: number): Promise<Transition> {
    const { dispatch, escalations, scale, log } = this.options;
    const run = esc.dispatches[index]!;
    const user = esc.plan.users[run.user]!;
    const items = user.channels.map((channel, position) => ({
      channel: channel.type,
      to: channel.to,
      from: channel.from,
      text: render(esc, run.user, { type: channel.type, to: channel.to }, { n: position, round: run.round }),
      ...(position < user.channels.length - 1 ? { failover: { condition_status: channel.condition, expiry_time: channel.expiry_s } } : {}),
    }));
    const rlog = lazyChild(log, { escalation_id: esc.id, run: index, user: user.name });
    try {
      const { dispatchUuid } = await dispatch.createFailover(items);
      // Indexed before it is recorded: the workflow's first webhook must find its escalation.
      await escalations.indexDispatch(dispatchUuid, { account_key: esc.account_key, id: esc.id });
      rlog.info({ dispatch_uuid: dispatchUuid }, 'dispatch workflow created');
      const created = { dispatch_uuid: dispatchUuid, at: Date.now() };
      return (doc) => transitions.recordDispatched(doc, index, created, scale);
    } catch (err) {
      rlog.warn({ err }, 'dispatch workflow not created: moving on');
      return (doc, now) => transitions.dispatchFailed(doc, index, errorMessage(err), now);
    }
  }
}

/** The plan's text for one user, channel and attempt. */
function render(esc: Escalation, userIndex: number, channel: { type: string; to: string }, attempt: { n: number; round: number }): string {
  const user = esc.plan.users[userIndex]!;
  const text = renderString(esc.plan.text, {
    event: esc.trigger,
    user: { name: user.name, contact_id: user.contact_id ?? null, index: userIndex },
    channel,
    attempt,
    escalation: { id: esc.id },
  });
  return String(text);
}
