import { z } from 'zod';
import { errorMessage, isSwitchboardError, SwitchboardError } from '../errors/index.js';
import { Token, type CausedEventPublisher } from '../events/index.js';
import { lazyChild, type Logger } from '../logger/index.js';
import { normalizedFrom, parseClientRef, type Messenger, type StoredReceipts } from '../messaging/index.js';
import { isRevisionConflict, type MessageRepository, type Versioned } from '../store/index.js';
import type { Attempt, Effect, Escalation, EscalationPlan } from './model.js';
import { EscalationRepository, isRunning } from './repository.js';
import { renderString } from '../templates/index.js';
import type { FiredTimer, Timers } from '../timers/index.js';
import {
  exponentialDelayMs,
  MESSAGE_STATUSES,
  type DispatchClient,
  type DispatchFinalReport,
  type DispatchMessageStatusWebhook,
  type InboundMessageWebhook,
  type MessageStatus,
  type MessageStatusWebhook,
} from '../vonage/index.js';
import type { EscalationStarter, FailRequest, Started, StartRequest } from './starter.js';
import { parseReceiptRef, receiptRef, sendRef } from './references.js';
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

type Transition = (esc: Escalation, now: number) => Escalation | undefined;
type Version = Versioned<Escalation>;

/**
 * Whether a receipt can change an escalation's course: a read, a delivered where that is the
 * condition, a failure. The rest (submitted, a delivered short of a read) only add to the
 * message's timeline, which the message store keeps: the escalation is not written for them.
 */
function isDecisive(status: MessageStatus, condition: string): boolean {
  return status !== 'submitted' && (status !== 'delivered' || condition === 'delivered');
}
/** Bounds one flush: an escalation's outbox never holds more than a handful of effects. */
const MAX_FLUSH_STEPS = 128;

/** Two timelines of one message as one, each receipt once, in the provider's time order. */
function mergedTimeline(a: Attempt['statuses'], b: ReadonlyArray<{ status: MessageStatus; at: string }>): Attempt['statuses'] {
  const all = new Map([...a, ...b].map((receipt) => [`${receipt.status}@${receipt.at}`, { status: receipt.status, at: receipt.at }]));
  return [...all.values()].sort((x, y) => x.at.localeCompare(y.at));
}

/** The ids of the effects in `outbox` that were not in `before`. */
function effectIds(outbox: readonly Effect[], before: readonly Effect[] = []): Set<string> {
  const earlier = new Set(before.map((effect) => effect.id));
  return new Set(outbox.filter((effect) => !earlier.has(effect.id)).map((effect) => effect.id));
}

/** Transitions applied one after the other, as one: undefined when none changed anything. */
function inSequence(steps: Transition[]): Transition {
  return (esc, now) => {
    const last = steps.reduce<Escalation>((current, step) => step(current, now) ?? current, esc);
    return last === esc ? undefined : last;
  };
}

/** Effects done together at once: everything but sends and workflows, which change the escalation. */
function isQuick(effect: Effect): effect is Extract<Effect, { kind: 'emit' | 'timer' | 'index_address' }> {
  return effect.kind === 'emit' || effect.kind === 'timer' || effect.kind === 'index_address';
}

/**
 * Runs escalations. Every input (start, provider receipt, reply, timer, cancel) is a transition
 * under compare-and-set, followed by a flush of the outbox: sends, workflows, timers, index
 * entries and events. The input's message is acknowledged only after the flush, so a crash at
 * any point is repaired by its redelivery: the transition is then a no-op and the flush does
 * what was left.
 */
export class EscalationEngine implements EscalationStarter {
  constructor(private readonly options: EngineOptions) {}

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
    create: (base: Pick<Escalation, 'id' | 'account_key' | 'route_id' | 'step' | 'trigger'>, plan: EscalationPlan, now: number) => Escalation,
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
    const flushed = await this.flush(base.account_key, base.id, version, created, effectIds(fresh.outbox));
    return { escalation: (flushed ?? (await escalations.docs.get(key)))!.value, created };
  }

  async cancel(account: string, id: string): Promise<Escalation> {
    const existing = await this.options.escalations.get(account, id);
    if (!existing) throw new SwitchboardError('not_found', `no escalation ${id} in account ${account}`);
    if (existing.status !== 'active') throw new SwitchboardError('conflict', `escalation ${id} has already ended (${existing.status})`);
    await this.change(account, id, transitions.cancel);
    this.options.log.info({ escalation_id: id }, 'escalation cancelled');
    return (await this.options.escalations.get(account, id))!;
  }

  /** A due timer; answers a later time when it must first wait for webhooks running late. */
  async onTimer(payload: unknown, fired: FiredTimer): Promise<number | undefined> {
    const timer = TimerPayload.parse(payload);
    if (timer.task === 'flush') return void (await this.flush(timer.account_key, timer.id));
    // An expiry is due at its deadline; a receipt sent before it may not be stored yet when webhooks run late.
    const pending = this.options.webhooks.pendingUntil(fired.dueAt);
    if (pending !== undefined) {
      this.options.log.debug({ escalation_id: timer.id, task: timer.task, target: timer.target, until: new Date(pending).toISOString() }, 'webhooks are running late: expiry held back');
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
  private async expire(timer: z.infer<typeof TimerPayload>, basis: Version, exact: boolean): Promise<boolean> {
    if (basis.value.status !== 'active') return true;
    const stored = timer.task === 'expire_attempt' ? await this.storedForAttempts(basis.value) : await this.storedForRun(basis.value, timer.target);
    const expire: Transition =
      timer.task === 'expire_attempt'
        ? (esc, now) => transitions.expireAttempt(esc, timer.target, now)
        : (esc, now) => transitions.expireRun(esc, timer.target, now);
    const steps = inSequence([...stored, expire]);
    let stale = false;
    await this.change(
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
      await this.flush(account, id, current);
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
    await this.change(account, ref.id, (esc, now) => transitions.applyReceipt(esc, ref.attempt, { status: webhook.status, at: webhook.timestamp, message_uuid: webhook.message_uuid }, now));
  }

  /**
   * The escalation with each attempt's whole status timeline: the escalation holds the decisive
   * receipts, the others (submitted, a delivered short of a read) are read from PROVIDER.
   */
  async withTimelines(esc: Escalation): Promise<Escalation> {
    const attempts = await Promise.all(
      esc.attempts.map(async (attempt) => {
        // A workflow's statuses all go into the escalation as they come.
        if (!attempt.message_uuid || attempt.dispatch_uuid) return attempt;
        const others = MESSAGE_STATUSES.filter((status) => !isDecisive(status, attempt.condition));
        const receipts = await this.options.stored.statuses(esc.account_key, attempt.message_uuid, others);
        return { ...attempt, statuses: mergedTimeline(attempt.statuses, receipts) };
      }),
    );
    return { ...esc, attempts };
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
      const after = await this.change(ref.account_key, ref.id, (esc, now) => transitions.acknowledgeReply(esc, { channel: webhook.channel, from, at: webhook.timestamp }, now));
      if (after && after.value.status !== 'active') await escalations.unindexAddress(webhook.channel, from, ref);
    }
  }

  async onDispatchStatus(webhook: DispatchMessageStatusWebhook): Promise<void> {
    const dispatchUuid = webhook._links.workflow.dispatch_uuid;
    const ref = await this.dispatchRef(dispatchUuid);
    const to = webhook.to.number ?? webhook.to.id ?? '';
    await this.options.messages.recordWorkflowMessage(ref.account_key, { message_uuid: webhook.message_uuid, channel: webhook.to.type, to, dispatch_uuid: dispatchUuid });
    await this.change(ref.account_key, ref.id, dispatchStatusTransition(webhook));
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

  /** Stored receipts (read, and delivered where that is the condition) and replies for the open attempts. */
  private async storedForAttempts(esc: Escalation): Promise<Transition[]> {
    const open = esc.attempts.filter((attempt) => attempt.message_uuid !== undefined && attempt.result === undefined && !attempt.dispatch_uuid);
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
        return [...receipts.map((receipt): Transition => (doc, now) => transitions.applyReceipt(doc, attempt.n, receipt, now)), ...reply];
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

  /** Runs a transition under compare-and-set; the answer is the escalation as it now stands. */
  private async apply(account: string, id: string, transition: Transition, known?: Version): Promise<Version | undefined> {
    let changed: Escalation | undefined;
    let ended = false;
    const version = await this.options.escalations.docs.mutate(
      EscalationRepository.key(account, id),
      (current) => {
        const next = current && transition(current, Date.now());
        changed = next && { ...next, updated_at: new Date().toISOString() };
        ended = current?.status === 'active' && changed !== undefined && changed.status !== 'active';
        return changed;
      },
      known,
    );
    if (ended) this.options.log.info({ escalation_id: id, status: changed!.status, outcome: changed!.outcome }, 'escalation ended');
    return version;
  }

  /**
   * A transition, then its effects. A transition that leaves effects takes a free flush lease in
   * its own write. It starts from `known`, else from the version this process last wrote. Answers
   * the last version the flush saw (undefined when it left the effects to another worker).
   */
  private async change(account: string, id: string, transition: Transition, known?: Version): Promise<Version | undefined> {
    let leased = false;
    let created = new Set<string>();
    const version = await this.apply(
      account,
      id,
      (esc, now) => {
        const next = transition(esc, now);
        leased = next !== undefined && next.outbox.length > 0 && (next.flush_lease_until ?? 0) <= now;
        created = next && leased ? effectIds(next.outbox, esc.outbox) : new Set();
        return next && leased ? { ...next, flush_lease_until: now + this.options.claimMs } : next;
      },
      known ?? (await this.options.escalations.docs.lastWritten(EscalationRepository.key(account, id))),
    );
    return this.flush(account, id, version, leased, created);
  }

  /**
   * Does the outbox's effects in order. One worker at a time holds the flush lease; an input that
   * finds it held leaves its effects to the holder, which goes on from each version it writes and
   * releases the lease in the write that empties the outbox, by compare-and-set: an effect added
   * meanwhile is never stranded. An input that finds the lease held sets a timer for when it runs
   * out, so a crashed holder's work is taken over. Answers the last version it saw.
   */
  private async flush(account: string, id: string, known?: Version, leased = false, created?: ReadonlySet<string>): Promise<Version | undefined> {
    const { escalations, claimMs, log } = this.options;
    const key = EscalationRepository.key(account, id);
    // Effects the lease holder's own write created: until tried once here, nobody can have tried them.
    const untried = new Set(leased ? created : undefined);
    let held = leased;
    let current = known;
    for (let step = 0; step < MAX_FLUSH_STEPS; step++) {
      current ??= await escalations.docs.get(key);
      if (!current) return undefined;
      const { value: esc, revision } = current;
      const now = Date.now();
      const effect = esc.outbox[0];
      try {
        if (!held) {
          if (!effect) return current;
          const lease = esc.flush_lease_until ?? 0;
          if (lease > now) return void (await this.flushLater(esc, lease));
          const leasedDoc = { ...esc, flush_lease_until: now + claimMs };
          current = { value: leasedDoc, revision: await escalations.docs.update(key, leasedDoc, revision) };
          held = true;
        } else if (!effect) {
          if (esc.flush_lease_until === undefined) return current;
          const { flush_lease_until: _released, ...released } = esc;
          return { value: released, revision: await escalations.docs.update(key, released, revision) };
        } else {
          const firstTry = untried.delete(effect.id);
          // A send or workflow an earlier holder may have started: after an outage, the provider's
          // word that it took it (a `submitted` webhook) may still be on its way. Wait for it.
          const backlog = !firstTry && (effect.kind === 'send' || effect.kind === 'dispatch') ? this.options.webhooks.backlogClears() : undefined;
          if (backlog !== undefined) return await this.holdFlush(current, backlog);
          current = await this.perform(current, effect, firstTry);
          // A send to be tried again later stays at the head, under a lease that runs until then.
          const retryAt = current?.value.outbox[0]?.id === effect.id ? current.value.flush_lease_until : undefined;
          if (retryAt !== undefined && retryAt > Date.now()) return void (await this.flushLater(current!.value, retryAt));
        }
      } catch (err) {
        if (!isRevisionConflict(err)) throw err;
        current = undefined;
      }
    }
    log.error({ escalation_id: id }, 'escalation outbox did not drain: left for the next input');
    return current;
  }

  /** Keeps the lease until `until` and flushes again then; answers the version written. */
  private async holdFlush(current: Version, until: number): Promise<Version> {
    const held = { ...current.value, flush_lease_until: until };
    const revision = await this.options.escalations.docs.update(EscalationRepository.key(held.account_key, held.id), held, current.revision);
    this.options.log.info({ escalation_id: held.id, until: new Date(until).toISOString() }, 'send held back: the provider may still report an earlier try');
    await this.flushLater(held, until);
    return { value: held, revision };
  }

  private async flushLater(esc: Escalation, leaseUntil: number): Promise<void> {
    const payload = { account_key: esc.account_key, id: esc.id, task: 'flush', target: 0 };
    await this.options.timers.schedule(ESCALATION_TIMER, `${esc.account_key}.${esc.id}.flush-${leaseUntil}`, leaseUntil + 1, payload);
  }

  /**
   * The effect at the head of the outbox, then the quick ones it leaves at the head, all in one
   * write: a send or a workflow answers the transition that records it, which is applied in
   * memory for its quick effects (its timer, index entry and events) and written with them done.
   * Each effect is idempotent, so a conflict that makes the write start again costs nothing.
   * Answers the version written.
   */
  private async perform(current: Version, effect: Effect, firstTry: boolean): Promise<Version | undefined> {
    const recorded =
      effect.kind === 'send'
        ? await this.send(current.value, effect.attempt, firstTry)
        : effect.kind === 'dispatch'
          ? await this.startWorkflow(current.value, effect.run)
          : undefined;
    const now = Date.now();
    const record = (doc: Escalation) => recorded?.(doc, now) ?? doc;
    const esc = record(current.value);
    const firstSlow = esc.outbox.findIndex((one) => !isQuick(one));
    const quick = (firstSlow < 0 ? esc.outbox : esc.outbox.slice(0, firstSlow)).filter(isQuick);
    const emits = quick.filter((one) => one.kind === 'emit');
    await Promise.all([
      // Events go out in the order they were decided (the attempt before the outcome).
      (async () => {
        for (const one of emits) {
          const eventData = await this.withTimelinesIn(esc, one.event_data);
          await this.options.events.publish(esc.trigger, { event_type: one.event_type, event_data: eventData }, { route_id: esc.route_id, origin: `escalation-${esc.id}-${one.id}` });
        }
      })(),
      ...quick.filter((one) => one.kind !== 'emit').map((one) => this.performQuick(esc, one)),
    ]);
    const done = new Set(quick.map((one) => one.id));
    return this.apply(
      esc.account_key,
      esc.id,
      (doc) => {
        const stepped = record(doc);
        const next = transitions.effectsDone(stepped, done) ?? stepped;
        if (next === doc) return undefined;
        if (next.outbox.length > 0) return next;
        // Nothing left: the lease goes in the same write.
        const { flush_lease_until: _released, ...released } = next;
        return released;
      },
      current,
    );
  }

  /** Outcome events list every attempt with its whole timeline: filled in from the message store when sent. */
  private async withTimelinesIn(esc: Escalation, eventData: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (!Array.isArray(eventData.attempts)) return eventData;
    const full = await this.withTimelines(esc);
    const timelines = new Map(full.attempts.map((attempt) => [attempt.n, attempt.statuses]));
    const attempts = (eventData.attempts as Array<{ n: number }>).map((attempt) => ({ ...attempt, statuses: timelines.get(attempt.n) ?? [] }));
    return { ...eventData, attempts };
  }

  private async performQuick(esc: Escalation, effect: Extract<Effect, { kind: 'timer' | 'index_address' }>): Promise<void> {
    const ref = { account_key: esc.account_key, id: esc.id };
    if (effect.kind === 'timer') {
      // Keyed by its time too: a send recorded again after a crash sets a later deadline, whose timer
      // must not be taken for the first record's (a key is stored once) when that one has fired
      // already and found the attempt not yet sent.
      const key = `${esc.account_key}.${esc.id}.${effect.id}.${effect.due_at}`;
      await this.options.timers.schedule(ESCALATION_TIMER, key, effect.due_at, { ...ref, task: effect.task, target: effect.target });
    } else {
      await this.options.escalations.indexAddress(effect.channel, effect.to, ref);
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

  /** Sends an attempt's message; answers the transition that records the send, or its failure. */
  private async send(esc: Escalation, n: number, firstTry: boolean): Promise<Transition> {
    const { messenger, scale, log } = this.options;
    const attempt = esc.attempts.find((one) => one.n === n)!;
    // A receipt of an earlier try (its send cut short before the record) decided the attempt already.
    if (attempt.message_uuid !== undefined && attempt.result !== undefined) {
      const sent = { message_uuid: attempt.message_uuid, at: Date.now() };
      return (doc) => transitions.recordSent(doc, n, sent, scale);
    }
    const channel = esc.plan.users[attempt.user]!.channels[attempt.channel_index]!;
    const text = this.render(esc, attempt.user, { type: channel.type, to: channel.to }, { n, round: attempt.round });
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
        elog.warn({ err, retry_at: new Date(retryAt).toISOString(), tries: (attempt.send_failures?.count ?? 0) + 1 }, 'escalation message not taken by the provider: trying again');
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
  private async startWorkflow(esc: Escalation, index: number): Promise<Transition> {
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

/** The expiry an active escalation waits for, when its deadline is before `before`: its timer is overdue. */
function overdueExpiry(esc: Escalation, before: number): { timer: { task: 'expire_attempt' | 'expire_run'; target: number }; dueAt: number } | undefined {
  if (esc.status !== 'active') return undefined;
  const waiting =
    esc.plan.mode === 'dispatch'
      ? { task: 'expire_run' as const, target: esc.dispatches.length - 1, deadline: esc.dispatches.at(-1)?.deadline_at }
      : { task: 'expire_attempt' as const, target: esc.attempts.length - 1, deadline: esc.attempts.at(-1)?.result === undefined ? esc.attempts.at(-1)?.deadline_at : undefined };
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
    return transitions.applyDispatchStatus(esc, run, { message_uuid: webhook.message_uuid, channel: webhook.to.type, to, at: receipt.at, receipt }, now);
  };
}
