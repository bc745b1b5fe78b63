import { z } from 'zod';
import type { CausedEvents } from '../dispatcher/index.js';
import { renderString } from '../templates/index.js';
import { errorMessage, SwitchboardError } from '../errors/index.js';
import { Token } from '../events/index.js';
import type { Logger } from '../logger/index.js';
import type { Messenger } from '../messaging/index.js';
import { EscalationRepository, isRevisionConflict, type Effect, type Escalation, type EscalationPlan, type MessageRecord, type MessageRepository } from '../store/index.js';
import type { Timers } from '../timers/index.js';
import {
  normalizeAddress,
  type DispatchClient,
  type DispatchFinalReport,
  type DispatchMessageStatusWebhook,
  type InboundMessageWebhook,
  type MessageStatusWebhook,
} from '../vonage/index.js';
import * as transitions from './transitions.js';
import type { Scale } from './transitions.js';

export const ESCALATION_TIMER = 'escalation';

const TimerPayload = z.object({
  account_key: Token,
  id: Token,
  task: z.enum(['expire_attempt', 'expire_run', 'flush']),
  target: z.number().int(),
});

export interface EngineOptions {
  escalations: EscalationRepository;
  messages: MessageRepository;
  messenger: Messenger;
  /** Dispatch API v0.1, for `mode: dispatch`. */
  dispatch: DispatchClient;
  timers: Timers;
  events: CausedEvents;
  /** Plan seconds to real milliseconds (SWITCHBOARD_TIME_SCALE). */
  scale: Scale;
  /** How long one worker holds an escalation's outbox before another may take over (a crashed worker's). */
  claimMs: number;
  log: Logger;
}

export interface StartRequest extends Pick<Escalation, 'id' | 'account_key' | 'route_id' | 'step' | 'trigger'> {
  plan: EscalationPlan;
}

type Transition = (esc: Escalation, now: number) => Escalation | undefined;

const SEND_REF = /^escalation:([A-Za-z0-9_-]+):(\d+)$/;
/** Bounds one flush: an escalation's outbox never holds more than a handful of effects. */
const MAX_FLUSH_STEPS = 128;

/**
 * Runs escalations. Every input (start, provider receipt, reply, timer, cancel) is a transition
 * under compare-and-set, followed by a flush of the outbox: sends, workflows, timers, index
 * entries and events. The input's message is acknowledged only after the flush, so a crash at
 * any point is repaired by its redelivery: the transition is then a no-op and the flush does
 * what was left.
 */
export class EscalationEngine {
  constructor(private readonly options: EngineOptions) {}

  /** Starts an escalation, or (same id: a redelivered trigger) goes on with the one that exists. */
  async start(request: StartRequest): Promise<{ escalation: Escalation; created: boolean }> {
    const { escalations, log } = this.options;
    const { plan, ...base } = request;
    let created = false;
    await escalations.docs.mutate(EscalationRepository.key(base.account_key, base.id), (current) => {
      created = current === undefined;
      return created ? transitions.createEscalation(base, plan, Date.now()) : undefined;
    });
    if (created) log.info({ escalation_id: base.id, event_id: base.trigger.event_id, mode: plan.mode }, 'escalation started');
    await this.flush(base.account_key, base.id);
    return { escalation: (await escalations.get(base.account_key, base.id))!, created };
  }

  async cancel(account: string, id: string): Promise<Escalation> {
    const existing = await this.options.escalations.get(account, id);
    if (!existing) throw new SwitchboardError('not_found', `no escalation ${id} in account ${account}`);
    if (existing.status !== 'active') throw new SwitchboardError('conflict', `escalation ${id} has already ended (${existing.status})`);
    await this.change(account, id, transitions.cancel);
    this.options.log.info({ escalation_id: id }, 'escalation cancelled');
    return (await this.options.escalations.get(account, id))!;
  }

  async onTimer(payload: unknown): Promise<void> {
    const timer = TimerPayload.parse(payload);
    if (timer.task === 'flush') return this.flush(timer.account_key, timer.id);
    const transition: Transition =
      timer.task === 'expire_attempt'
        ? (esc, now) => transitions.expireAttempt(esc, timer.target, now)
        : (esc, now) => transitions.expireRun(esc, timer.target, now);
    await this.change(timer.account_key, timer.id, transition);
  }

  /** A Messages API receipt for a message we sent (the message record carries our ref). */
  async onStatus(account: string, record: MessageRecord, webhook: MessageStatusWebhook): Promise<void> {
    const ref = record.ref ? SEND_REF.exec(record.ref) : null;
    if (!ref) return;
    const [, id, n] = ref;
    await this.change(account, id!, (esc, now) => transitions.applyReceipt(esc, Number(n), { status: webhook.status, at: webhook.timestamp }, now));
  }

  /** A user wrote back from an address an escalation messaged: an acknowledgement. */
  async onInbound(webhook: InboundMessageWebhook): Promise<void> {
    const from = normalizeAddress(webhook.channel, webhook.from);
    const address = from.ok ? from.value : webhook.from;
    for (const ref of await this.options.escalations.byAddress(webhook.channel, address)) {
      await this.change(ref.account_key, ref.id, (esc, now) =>
        transitions.acknowledgeReply(esc, { channel: webhook.channel, from: address, at: webhook.timestamp }, now),
      );
    }
  }

  async onDispatchStatus(webhook: DispatchMessageStatusWebhook): Promise<void> {
    const dispatchUuid = webhook._links.workflow.dispatch_uuid;
    const ref = await this.dispatchRef(dispatchUuid);
    const to = webhook.to.number ?? webhook.to.id ?? '';
    const receipt = { status: webhook.status, at: webhook.timestamp };
    await this.options.messages.recordStatus(ref.account_key, webhook.message_uuid, receipt);
    await this.change(ref.account_key, ref.id, (esc, now) => {
      const run = esc.dispatches.findIndex((one) => one.dispatch_uuid === dispatchUuid);
      return run < 0 ? undefined : transitions.applyDispatchStatus(esc, run, { message_uuid: webhook.message_uuid, channel: webhook.to.type, to, at: receipt.at, receipt }, now);
    });
  }

  async onDispatchReport(report: DispatchFinalReport): Promise<void> {
    const ref = await this.dispatchRef(report.dispatch_uuid);
    await this.change(ref.account_key, ref.id, (esc, now) => {
      const run = esc.dispatches.findIndex((one) => one.dispatch_uuid === report.dispatch_uuid);
      const messages = (report._links?.messages ?? []).map((message) => ({ message_uuid: message.message_uuid, channel: message.channel }));
      return run < 0 ? undefined : transitions.applyFinalReport(esc, run, { status: report.status, at: report.timestamp, messages }, this.options.scale, now);
    });
  }

  /** The workflow's escalation; a webhook can beat our own record of the workflow, so "not yet" is retried. */
  private async dispatchRef(dispatchUuid: string) {
    const ref = await this.options.escalations.byDispatch(dispatchUuid);
    if (!ref) throw new SwitchboardError('not_found', `no escalation knows dispatch ${dispatchUuid} (yet)`);
    return ref;
  }

  /** Runs a transition under compare-and-set; returns the new version, or undefined when nothing changed. */
  private async apply(account: string, id: string, transition: Transition): Promise<Escalation | undefined> {
    let changed: Escalation | undefined;
    let ended = false;
    await this.options.escalations.docs.mutate(EscalationRepository.key(account, id), (current) => {
      const next = current && transition(current, Date.now());
      changed = next && { ...next, updated_at: new Date().toISOString() };
      ended = current?.status === 'active' && changed !== undefined && changed.status !== 'active';
      return changed;
    });
    if (ended) this.options.log.info({ escalation_id: id, status: changed!.status, outcome: changed!.outcome }, 'escalation ended');
    return changed;
  }

  private async change(account: string, id: string, transition: Transition): Promise<void> {
    await this.apply(account, id, transition);
    await this.flush(account, id);
  }

  /**
   * Does the outbox's effects in order. One worker at a time holds the flush lease; an input that
   * finds it held leaves its effects to the holder, which re-reads the document after each effect
   * and releases the lease only by compare-and-set against what it last read: an effect added
   * meanwhile is never stranded. An input that finds the lease held sets a timer for when it runs
   * out, so a crashed holder's work is taken over.
   */
  private async flush(account: string, id: string): Promise<void> {
    const { escalations, claimMs, log } = this.options;
    const key = EscalationRepository.key(account, id);
    let held = false;
    for (let step = 0; step < MAX_FLUSH_STEPS; step++) {
      const current = await escalations.docs.get(key);
      if (!current) return;
      const { value: esc, revision } = current;
      const now = Date.now();
      const effect = esc.outbox[0];
      try {
        if (!held) {
          if (!effect) return;
          const lease = esc.flush_lease_until ?? 0;
          if (lease > now) return this.flushLater(esc, lease);
          await escalations.docs.update(key, { ...esc, flush_lease_until: now + claimMs }, revision);
          held = true;
        } else if (!effect) {
          const { flush_lease_until: _released, ...rest } = esc;
          await escalations.docs.update(key, rest, revision);
          return;
        } else {
          await this.perform(esc, effect);
        }
      } catch (err) {
        if (!isRevisionConflict(err)) throw err;
      }
    }
    log.error({ escalation_id: id }, 'escalation outbox did not drain: left for the next input');
  }

  private async flushLater(esc: Escalation, leaseUntil: number): Promise<void> {
    const payload = { account_key: esc.account_key, id: esc.id, task: 'flush', target: 0 };
    await this.options.timers.schedule(ESCALATION_TIMER, `${esc.account_key}.${esc.id}.flush-${leaseUntil}`, leaseUntil + 1, payload);
  }

  private async perform(esc: Escalation, effect: Effect): Promise<void> {
    const { escalations, timers, events } = this.options;
    const ref = { account_key: esc.account_key, id: esc.id };
    const done = () => this.apply(esc.account_key, esc.id, (current) => transitions.effectDone(current, effect.id));
    switch (effect.kind) {
      case 'emit':
        await events.publish(esc.trigger, { event_type: effect.event_type, event_data: effect.event_data }, { route_id: esc.route_id, origin: `escalation-${esc.id}-${effect.id}` });
        return void (await done());
      case 'timer':
        await timers.schedule(ESCALATION_TIMER, `${esc.account_key}.${esc.id}.${effect.id}`, effect.due_at, { ...ref, task: effect.task, target: effect.target });
        return void (await done());
      case 'index_address':
        await escalations.indexAddress(effect.channel, effect.to, ref);
        return void (await done());
      case 'send':
        return this.send(esc, effect.attempt);
      case 'dispatch':
        return this.startWorkflow(esc, effect.run);
    }
  }

  private render(esc: Escalation, userIndex: number, channel: { type: string; to: string }, attempt: { n: number; round: number }): string {
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

  private async send(esc: Escalation, n: number): Promise<void> {
    const { messenger, scale, log } = this.options;
    const attempt = esc.attempts.find((one) => one.n === n)!;
    const channel = esc.plan.users[attempt.user]!.channels[attempt.channel_index]!;
    const text = this.render(esc, attempt.user, { type: channel.type, to: channel.to }, { n, round: attempt.round });
    const elog = log.child({ escalation_id: esc.id, attempt: n, user: attempt.user_name, channel: channel.type });
    try {
      const { record } = await messenger.send({ account: esc.account_key, channel: channel.type, to: channel.to, from: channel.from, text, ref: `escalation:${esc.id}:${n}` });
      elog.info({ message_uuid: record.message_uuid }, 'escalation message sent');
      await this.apply(esc.account_key, esc.id, (current) => transitions.recordSent(current, n, { message_uuid: record.message_uuid, at: Date.now() }, scale));
      // Receipts that arrived before the send was recorded are in the message record: apply them now.
      for (const receipt of record.statuses) {
        await this.apply(esc.account_key, esc.id, (current, now) => transitions.applyReceipt(current, n, receipt, now));
      }
    } catch (err) {
      elog.warn({ err }, 'escalation message not sent: failing over');
      await this.apply(esc.account_key, esc.id, (current, now) => transitions.sendFailed(current, n, errorMessage(err), now));
    }
  }

  private async startWorkflow(esc: Escalation, index: number): Promise<void> {
    const { dispatch, escalations, scale, log } = this.options;
    const run = esc.dispatches[index]!;
    const user = esc.plan.users[run.user]!;
    const items = user.channels.map((channel, position) => ({
      channel: channel.type,
      to: channel.to,
      from: channel.from,
      text: this.render(esc, run.user, { type: channel.type, to: channel.to }, { n: position, round: run.round }),
      ...(position < user.channels.length - 1 ? { failover: { condition_status: channel.condition, expiry_time: channel.expiry_s } } : {}),
    }));
    const rlog = log.child({ escalation_id: esc.id, run: index, user: user.name });
    try {
      const { dispatchUuid } = await dispatch.createFailover(items);
      // Indexed before it is recorded: the workflow's first webhook must find its escalation.
      await escalations.indexDispatch(dispatchUuid, { account_key: esc.account_key, id: esc.id });
      await this.apply(esc.account_key, esc.id, (current) => transitions.recordDispatched(current, index, { dispatch_uuid: dispatchUuid, at: Date.now() }, scale));
      rlog.info({ dispatch_uuid: dispatchUuid }, 'dispatch workflow created');
    } catch (err) {
      rlog.warn({ err }, 'dispatch workflow not created: moving on');
      await this.apply(esc.account_key, esc.id, (current, now) => transitions.dispatchFailed(current, index, errorMessage(err), now));
    }
  }
}
