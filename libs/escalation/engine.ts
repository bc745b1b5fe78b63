import { SwitchboardError } from '#libs/errors';
import type { CausedEventPublisher } from '#libs/events';
import type { Logger } from '#libs/logger';
import { normalizedFrom, parseClientRef, type Messenger, type StoredReceipts } from '#libs/messaging';
import { isRevisionConflict, type MessageRepository } from '#libs/store';
import type { FiredTimer, Timers } from '#libs/timers';
import type {
  DispatchClient,
  DispatchFinalReport,
  DispatchMessageStatusWebhook,
  InboundMessageWebhook,
  MessageStatusWebhook,
} from '#libs/vonage';
import { isRunning } from './docs.js';
import { EffectRunner } from './effects.js';
import type { Escalation, EscalationPlan } from './model.js';
import { effectIds, Outbox, type Version } from './outbox.js';
import { parseReceiptRef } from './references.js';
import { EscalationRepository } from './repository.js';
import type { EscalationStarter, FailRequest, Started, StartRequest } from './starter.js';
import { isDecisive, Timelines } from './timelines.js';
import { TimerPayload } from './timerTasks.js';
import * as transitions from './transitions.js';
import { inSequence, type Scale, type Transition } from './transitions.js';

export interface EngineOptions {
  escalations: EscalationRepository;
  messages: MessageRepository;
  messenger: Messenger;
  /** Dispatch API v0.1, for `mode: dispatch`. */
  dispatch: DispatchClient;
  timers: Timers;
  events: CausedEventPublisher;
  /** Provider webhooks already stored, consulted before an expiry moves an escalation on. */
  stored: StoredReceipts;
  /**
   * Whether the webhooks the provider sent before a deadline have had time to be stored (else when
   * they will have), and whether the webhooks it could not deliver during an outage may still come.
   */
  webhooks: { pendingUntil(deadline: number): number | undefined; backlogClears(): number | undefined };
  /** Plan seconds to real milliseconds (SWITCHBOARD_TIME_SCALE). */
  scale: Scale;
  /** How long one worker holds an escalation's outbox before another may take over (a crashed worker's). */
  claimMs: number;
  /** A send the provider does not take is tried again after `baseMs`, doubling up to `maxMs`, for as long as its channel waits. */
  sendRetry: { baseMs: number; maxMs: number };
  log: Logger;
}

/** The plan of an escalation that failed before it could be planned: nobody to reach. */
const NOT_PLANNED: EscalationPlan = { mode: 'messages', users: [], rounds: 1, text: '' };

/**
 * Runs escalations. Every input (start, provider receipt, reply, timer, cancel) is a transition
 * under compare-and-set, followed by a flush of the outbox: sends, workflows, timers, index
 * entries and events. The input's message is acknowledged only after the flush, so a crash at
 * any point is repaired by its redelivery: the transition is then a no-op and the flush does
 * what was left.
 */
export class EscalationEngine implements EscalationStarter {
  private readonly outbox: Outbox;
  private readonly timelines: Timelines;

  constructor(private readonly options: EngineOptions) {
    this.timelines = new Timelines(options.stored);
    const effects = new EffectRunner({ ...options, timelines: this.timelines });
    this.outbox = new Outbox({ ...options, effects });
  }

  /** Starts an escalation, or (same id: a redelivered trigger) goes on with the one that exists. */
  async start(request: StartRequest): Promise<Started> {
    return this.begin(request, request.plan, transitions.createEscalation);
  }

  /** Records an escalation that cannot start, ended `failed` with why; a redelivered trigger finds it. */
  async fail(request: FailRequest): Promise<Started> {
    return this.begin(request, NOT_PLANNED, (base, plan, now) => transitions.failedEscalation(base, plan, request.failure, now));
  }

  private async begin(
    request: Omit<StartRequest, 'plan'>,
    requestedPlan: EscalationPlan,
    create: (
      base: Pick<Escalation, 'id' | 'account_key' | 'route_id' | 'step' | 'trigger'>,
      plan: EscalationPlan,
      now: number,
    ) => Escalation,
  ): Promise<Started> {
    const { escalations, claimMs, log } = this.options;
    const key = EscalationRepository.key(request.account_key, request.id);
    // A redelivered trigger goes on with the plan stored first, even if its route has changed since.
    const { trigger, plan } = await escalations.docs.frame(key, { trigger: request.trigger, plan: requestedPlan });
    const base = { id: request.id, account_key: request.account_key, route_id: request.route_id, step: request.step, trigger };
    const now = Date.now();
    // The creator holds the flush lease from the first write: nobody else can have effects to do yet.
    const fresh = { ...create(base, plan, now), flush_lease_until: now + claimMs };
    let version: Version | undefined;
    try {
      // Created without a read first: a new escalation is the common case.
      version = { value: fresh, revision: await escalations.docs.create(key, fresh) };
    } catch (err) {
      // It exists: a redelivered trigger, which goes on with it (the flush below does what it left).
      if (!isRevisionConflict(err)) throw err;
    }
    const created = version !== undefined;
    if (created) {
      const about = { escalation_id: base.id, event_id: base.trigger.event_id, mode: plan.mode };
      if (fresh.failure) log.info({ ...about, reason: fresh.failure.reason }, 'escalation failed to start');
      else log.info(about, 'escalation started');
    }
    const flushed = await this.outbox.flush(base.account_key, base.id, version, created, effectIds(fresh.outbox));
    return { escalation: (flushed ?? (await escalations.docs.get(key)))!.value, created };
  }

  async cancel(account: string, id: string): Promise<Escalation> {
    const existing = await this.options.escalations.get(account, id);
    if (!existing) throw new SwitchboardError('not_found', `no escalation ${id} in account ${account}`);
    if (existing.status !== 'active') throw new SwitchboardError('conflict', `escalation ${id} has already ended (${existing.status})`);
    await this.outbox.change(account, id, transitions.cancel);
    this.options.log.info({ escalation_id: id }, 'escalation cancelled');
    return (await this.options.escalations.get(account, id))!;
  }

  /** A due timer; answers a later time when it must first wait for webhooks running late. */
  async onTimer(payload: unknown, fired: FiredTimer): Promise<number | undefined> {
    const timer = TimerPayload.parse(payload);
    if (timer.task === 'flush') return void (await this.outbox.flush(timer.account_key, timer.id));
    // An expiry is due at its deadline; a receipt sent before it may not be stored yet when webhooks run late.
    const pending = this.options.webhooks.pendingUntil(fired.dueAt);
    if (pending !== undefined) {
      this.options.log.debug(
        { escalation_id: timer.id, task: timer.task, target: timer.target, until: new Date(pending).toISOString() },
        'webhooks are running late: expiry held back',
      );
      return pending;
    }
    const { docs } = this.options.escalations;
    const key = EscalationRepository.key(timer.account_key, timer.id);
    const lastWritten = await docs.lastWritten(key);
    if (lastWritten && (await this.expire(timer, lastWritten, true))) return;
    const current = await docs.get(key);
    if (current) await this.expire(timer, current, false);
  }

  /**
   * Expires an attempt or a run, after what the provider already told us of it: that wins over
   * the clock, as the workers can run behind the receipts. Those are looked up for the version
   * `basis`; when `exact`, a change from any other version is refused (the answer is false), as
   * another process may have made attempts since that `basis` does not know of.
   */
  private async expire(timer: TimerPayload, basis: Version, exact: boolean): Promise<boolean> {
    if (basis.value.status !== 'active') return true;
    const stored =
      timer.task === 'expire_attempt' ? await this.storedForAttempts(basis.value) : await this.storedForRun(basis.value, timer.target);
    const expire: Transition =
      timer.task === 'expire_attempt'
        ? (esc, now) => transitions.expireAttempt(esc, timer.target, now)
        : (esc, now) => transitions.expireRun(esc, timer.target, now);
    const steps = inSequence([...stored, expire]);
    let stale = false;
    await this.outbox.change(
      timer.account_key,
      timer.id,
      (esc, now) => {
        stale = exact && esc !== basis.value;
        return stale ? undefined : steps(esc, now);
      },
      basis,
    );
    return !stale;
  }

  /**
   * What a recovery pass does for an escalation on the running list: takes over an outbox whose
   * lease ran out (its holder died, and no input of its own will come back: an API call's), and
   * expires an attempt or a workflow's wait whose timer is overdue by more than `graceMs` (as the
   * timer would, stored receipts first). Answers what it did; `stopped` for one that no longer runs.
   */
  async recover(account: string, id: string, graceMs: number): Promise<'stopped' | 'taken_over' | 'expired' | 'fine'> {
    const current = await this.options.escalations.docs.get(EscalationRepository.key(account, id));
    if (!current || !isRunning(current.value)) return 'stopped';
    const esc = current.value;
    const now = Date.now();
    if (esc.outbox.length > 0) {
      if ((esc.flush_lease_until ?? 0) > now) return 'fine';
      await this.outbox.flush(account, id, current);
      return 'taken_over';
    }
    const overdue = overdueExpiry(esc, now - graceMs);
    if (!overdue) return 'fine';
    const later = await this.onTimer({ account_key: account, id, ...overdue.timer }, { dueAt: overdue.dueAt });
    return later === undefined ? 'expired' : 'fine';
  }

  /** A Messages API receipt: ours when its client_ref names an escalation's attempt. */
  async onStatus(account: string, webhook: MessageStatusWebhook): Promise<void> {
    const ref = parseReceiptRef(parseClientRef(webhook.client_ref).ref);
    if (!ref || !isDecisive(webhook.status, ref.condition)) return;
    await this.outbox.change(account, ref.id, (esc, now) =>
      transitions.applyReceipt(
        esc,
        ref.attempt,
        { status: webhook.status, at: webhook.timestamp, message_uuid: webhook.message_uuid },
        now,
      ),
    );
  }

  /** The escalation with each attempt's whole status timeline, as the API shows it. */
  async withTimelines(esc: Escalation): Promise<Escalation> {
    return this.timelines.of(esc);
  }

  /**
   * A user wrote back from an address an escalation messaged: an acknowledgement. The escalations
   * found ended (now, or before) leave the address's index, so that an address messaged by many
   * escalations over time costs a reply only the ones still running, from the next reply on.
   */
  async onInbound(webhook: InboundMessageWebhook): Promise<void> {
    const { escalations } = this.options;
    const from = normalizedFrom(webhook);
    for (const ref of await escalations.byAddress(webhook.channel, from)) {
      const after = await this.outbox.change(ref.account_key, ref.id, (esc, now) =>
        transitions.acknowledgeReply(esc, { channel: webhook.channel, from, at: webhook.timestamp }, now),
      );
      if (after && after.value.status !== 'active') await escalations.unindexAddress(webhook.channel, from, ref);
    }
  }

  async onDispatchStatus(webhook: DispatchMessageStatusWebhook): Promise<void> {
    const dispatchUuid = webhook._links.workflow.dispatch_uuid;
    const ref = await this.dispatchRef(dispatchUuid);
    const to = webhook.to.number ?? webhook.to.id ?? '';
    await this.options.messages.recordWorkflowMessage(ref.account_key, {
      message_uuid: webhook.message_uuid,
      channel: webhook.to.type,
      to,
      dispatch_uuid: dispatchUuid,
    });
    await this.outbox.change(ref.account_key, ref.id, dispatchStatusTransition(webhook));
  }

  async onDispatchReport(report: DispatchFinalReport): Promise<void> {
    const ref = await this.dispatchRef(report.dispatch_uuid);
    await this.outbox.change(ref.account_key, ref.id, (esc, now) => {
      const run = esc.dispatches.findIndex((one) => one.dispatch_uuid === report.dispatch_uuid);
      const messages = (report._links?.messages ?? []).map((message) => ({ message_uuid: message.message_uuid, channel: message.channel }));
      return run < 0
        ? undefined
        : transitions.applyFinalReport(esc, run, { status: report.status, at: report.timestamp, messages }, this.options.scale, now);
    });
  }

  /** The workflow's escalation; a webhook can beat our own record of the workflow, so "not yet" is retried. */
  private async dispatchRef(dispatchUuid: string) {
    const ref = await this.options.escalations.byDispatch(dispatchUuid);
    if (!ref) throw new SwitchboardError('not_found', `no escalation knows dispatch ${dispatchUuid} (yet)`);
    return ref;
  }

  /** Stored receipts (read, and delivered where that is the condition) and replies for the open attempts. */
  private async storedForAttempts(esc: Escalation): Promise<Transition[]> {
    const open = esc.attempts.filter(
      (attempt) => attempt.message_uuid !== undefined && attempt.result === undefined && !attempt.dispatch_uuid,
    );
    const found = await Promise.all(
      open.map(async (attempt): Promise<Transition[]> => {
        const wanted = attempt.condition === 'delivered' ? (['read', 'delivered'] as const) : (['read'] as const);
        const [receipts, replied] = await Promise.all([
          this.options.stored.statuses(esc.account_key, attempt.message_uuid!, wanted),
          this.options.stored.lastReply(attempt.channel, attempt.to),
        ]);
        const reply: Transition[] =
          replied && attempt.sent_at && replied >= attempt.sent_at
            ? [(doc, now) => transitions.acknowledgeReply(doc, { channel: attempt.channel, from: attempt.to, at: replied }, now)]
            : [];
        return [
          ...receipts.map(
            (receipt): Transition =>
              (doc, now) =>
                transitions.applyReceipt(doc, attempt.n, receipt, now),
          ),
          ...reply,
        ];
      }),
    );
    return found.flat();
  }

  /** Every stored status of a user's workflow, for a run about to be given up on. */
  private async storedForRun(esc: Escalation, index: number): Promise<Transition[]> {
    const dispatchUuid = esc.dispatches[index]?.dispatch_uuid;
    if (!dispatchUuid) return [];
    return (await this.options.stored.dispatchStatuses(dispatchUuid)).map(dispatchStatusTransition);
  }
}

/** The expiry an active escalation waits for, when its deadline is before `before`: its timer is overdue. */
function overdueExpiry(
  esc: Escalation,
  before: number,
): { timer: { task: 'expire_attempt' | 'expire_run'; target: number }; dueAt: number } | undefined {
  if (esc.status !== 'active') return undefined;
  const waiting =
    esc.plan.mode === 'dispatch'
      ? { task: 'expire_run' as const, target: esc.dispatches.length - 1, deadline: esc.dispatches.at(-1)?.deadline_at }
      : {
          task: 'expire_attempt' as const,
          target: esc.attempts.length - 1,
          deadline: esc.attempts.at(-1)?.result === undefined ? esc.attempts.at(-1)?.deadline_at : undefined,
        };
  const dueAt = waiting.deadline === undefined ? Number.NaN : Date.parse(waiting.deadline);
  return dueAt < before ? { timer: { task: waiting.task, target: waiting.target }, dueAt } : undefined;
}

/** A Dispatch message status, applied to the run of its workflow. */
function dispatchStatusTransition(webhook: DispatchMessageStatusWebhook): Transition {
  const dispatchUuid = webhook._links.workflow.dispatch_uuid;
  const receipt = { status: webhook.status, at: webhook.timestamp };
  return (esc, now) => {
    const run = esc.dispatches.findIndex((one) => one.dispatch_uuid === dispatchUuid);
    if (run < 0) return undefined;
    const to = webhook.to.number ?? webhook.to.id ?? '';
    return transitions.applyDispatchStatus(
      esc,
      run,
      { message_uuid: webhook.message_uuid, channel: webhook.to.type, to, at: receipt.at, receipt },
      now,
    );
  };
}
