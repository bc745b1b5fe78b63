import type { Attempt, DispatchRun, Effect, Escalation, EscalationFailure, EscalationPlan, Outcome } from './model.js';
import type { MessageStatus } from '#libs/vonage';

/**
 * The escalation as a state machine: pure functions from a document to its next version (or
 * undefined: nothing changes). The engine runs them under compare-and-set, so duplicate, late
 * and out-of-order inputs never advance an escalation twice, and does the effects they put in
 * the outbox afterwards.
 */

/** Converts plan seconds into real milliseconds (SWITCHBOARD_TIME_SCALE shrinks them for tests). */
export type Scale = (seconds: number) => number;

/** One transition as the engine applies it: the next version, or undefined when nothing changes. */
export type Transition = (esc: Escalation, now: number) => Escalation | undefined;

/** Transitions applied one after the other, as one: undefined when none changed anything. */
export function inSequence(steps: Transition[]): Transition {
  return (esc, now) => {
    const last = steps.reduce<Escalation>((current, step) => step(current, now) ?? current, esc);
    return last === esc ? undefined : last;
  };
}

export interface Receipt {
  status: MessageStatus;
  at: string;
  /** The message it is about: an attempt whose send is not recorded yet (a crash between the two) learns its id from it. */
  message_uuid?: string;
}

const FAILED: ReadonlySet<MessageStatus> = new Set(['rejected', 'undeliverable']);

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function withoutEffect(outbox: Effect[], id: string): Effect[] {
  return outbox.filter((effect) => effect.id !== id);
}

function emit(eventType: string, eventData: Record<string, unknown>): Effect {
  return { id: `emit-${eventType}`, kind: 'emit', event_type: eventType, event_data: eventData };
}

function currentAttempt(esc: Escalation): Attempt | undefined {
  return esc.attempts.at(-1);
}

function plannedAttempt(esc: Escalation, cursor: Escalation['cursor']): Attempt {
  const user = esc.plan.users[cursor.user]!;
  const channel = user.channels[cursor.channel]!;
  return {
    n: esc.attempts.length,
    round: cursor.round,
    user: cursor.user,
    user_name: user.name,
    channel_index: cursor.channel,
    channel: channel.type,
    to: channel.to,
    condition: channel.condition,
    statuses: [],
  };
}

/** What other systems see of the attempts: every send in order with its status timeline. */
export function attemptsSummary(esc: Escalation): Array<Record<string, unknown>> {
  return esc.attempts
    .filter((attempt) => attempt.message_uuid !== undefined || attempt.result !== undefined)
    .map((attempt) => ({
      n: attempt.n,
      round: attempt.round,
      user: attempt.user_name,
      channel: attempt.channel,
      to: attempt.to,
      message_uuid: attempt.message_uuid ?? null,
      ...(attempt.dispatch_uuid ? { dispatch_uuid: attempt.dispatch_uuid } : {}),
      sent_at: attempt.sent_at ?? null,
      statuses: attempt.statuses,
      result: attempt.result ?? null,
      ...(attempt.error ? { error: attempt.error } : {}),
    }));
}

/** A new escalation: its first send (or workflow) and `escalation_started`. */
export function createEscalation(
  base: Pick<Escalation, 'id' | 'account_key' | 'route_id' | 'step' | 'trigger'>,
  plan: EscalationPlan,
  now: number,
): Escalation {
  const esc: Escalation = {
    ...base,
    plan,
    status: 'active',
    cursor: { round: 0, user: 0, channel: 0 },
    attempts: [],
    dispatches: [],
    outbox: [],
    started_at: iso(now),
    updated_at: iso(now),
  };
  const started = emit('escalation_started', {
    escalation_id: esc.id,
    mode: plan.mode,
    users: plan.users.map((user) => ({ name: user.name, channels: user.channels.map((channel) => channel.type) })),
    rounds: plan.rounds,
  });
  const first = firstStep(esc);
  return { ...esc, ...first, outbox: [started, ...first.outbox] };
}

/**
 * An escalation that could not start (its config once rendered, or its plan, is invalid): it ends
 * at once, `failed`, with the reason in its document and in `escalation_failed`, so those who
 * follow escalations hear why rather than nothing.
 */
export function failedEscalation(
  base: Pick<Escalation, 'id' | 'account_key' | 'route_id' | 'step' | 'trigger'>,
  plan: EscalationPlan,
  failure: EscalationFailure,
  now: number,
): Escalation {
  return {
    ...base,
    plan,
    status: 'failed',
    cursor: { round: 0, user: 0, channel: 0 },
    attempts: [],
    dispatches: [],
    outbox: [emit('escalation_failed', { escalation_id: base.id, ...failure })],
    failure,
    started_at: iso(now),
    ended_at: iso(now),
    updated_at: iso(now),
  };
}

function firstStep(esc: Escalation): Pick<Escalation, 'attempts' | 'dispatches' | 'outbox'> {
  if (esc.plan.mode === 'dispatch') {
    return { attempts: [], dispatches: [{ round: 0, user: 0 }], outbox: [{ id: 'dispatch-0', kind: 'dispatch', run: 0 }] };
  }
  return { attempts: [plannedAttempt(esc, esc.cursor)], dispatches: [], outbox: [{ id: 'send-0', kind: 'send', attempt: 0 }] };
}

/** Ends the escalation: exactly one outcome event, and no more sends or timers. */
function finish(esc: Escalation, now: number, outcome: Outcome | undefined): Escalation {
  const status = outcome ? 'read' : 'exhausted';
  const attempts = esc.attempts.map((attempt) =>
    attempt.result === undefined && attempt.message_uuid !== undefined && attempt.n !== outcome?.attempt
      ? { ...attempt, result: 'superseded' as const }
      : attempt,
  );
  const ended = { ...esc, attempts, status, outcome, ended_at: iso(now) } satisfies Escalation;
  const event = outcome
    ? emit('escalation_read', { escalation_id: esc.id, ...outcome, attempts: attemptsSummary(ended) })
    : emit('escalation_exhausted', { escalation_id: esc.id, attempts: attemptsSummary(ended) });
  return { ...ended, outbox: [...pendingOnly(esc.outbox), event] };
}

/** The effects still worth doing once an escalation has ended: events and index entries, not sends or timers. */
function pendingOnly(outbox: Effect[]): Effect[] {
  return outbox.filter((effect) => effect.kind === 'emit' || effect.kind === 'index_address');
}

/** The next channel, user or round; or the end. */
function advance(esc: Escalation, now: number): Escalation {
  const { round, user, channel } = esc.cursor;
  const users = esc.plan.users;
  const dispatch = esc.plan.mode === 'dispatch';
  const next =
    !dispatch && channel + 1 < users[user]!.channels.length
      ? { round, user, channel: channel + 1 }
      : user + 1 < users.length
        ? { round, user: user + 1, channel: 0 }
        : round + 1 < esc.plan.rounds
          ? { round: round + 1, user: 0, channel: 0 }
          : undefined;
  if (!next) return finish(esc, now, undefined);
  const moved = { ...esc, cursor: next };
  if (dispatch) {
    const run = esc.dispatches.length;
    return {
      ...moved,
      dispatches: [...esc.dispatches, { round: next.round, user: next.user }],
      outbox: [...esc.outbox, { id: `dispatch-${run}`, kind: 'dispatch', run }],
    };
  }
  const attempt = plannedAttempt(moved, next);
  return {
    ...moved,
    attempts: [...esc.attempts, attempt],
    outbox: [...esc.outbox, { id: `send-${attempt.n}`, kind: 'send', attempt: attempt.n }],
  };
}

function replaceAttempt(esc: Escalation, attempt: Attempt): Escalation {
  return { ...esc, attempts: esc.attempts.map((one) => (one.n === attempt.n ? attempt : one)) };
}

function isSuccess(attempt: Attempt, status: MessageStatus): boolean {
  return status === 'read' || (status === 'delivered' && attempt.condition === 'delivered');
}

/** A send was accepted by the provider: its expiry starts now. */
export function recordSent(esc: Escalation, n: number, sent: { message_uuid: string; at: number }, scale: Scale): Escalation | undefined {
  const attempt = esc.attempts.find((one) => one.n === n);
  // A receipt may have told the message id already; the send itself is recorded once.
  if (!attempt || attempt.sent_at !== undefined) return undefined;
  const channel = esc.plan.users[attempt.user]!.channels[attempt.channel_index]!;
  const lastChannel = attempt.channel_index === esc.plan.users[attempt.user]!.channels.length - 1;
  const waitS = lastChannel ? esc.plan.users[attempt.user]!.final_expiry_s : channel.expiry_s;
  const deadline = sent.at + scale(waitS);
  const updated = replaceAttempt(
    { ...esc, outbox: withoutEffect(esc.outbox, `send-${n}`) },
    { ...attempt, message_uuid: sent.message_uuid, sent_at: iso(sent.at), deadline_at: iso(deadline) },
  );
  if (esc.status !== 'active' || attempt.result !== undefined) return updated;
  return {
    ...updated,
    outbox: [
      ...updated.outbox,
      { id: `index-${n}`, kind: 'index_address', channel: attempt.channel, to: attempt.to },
      { id: `timer-attempt-${n}`, kind: 'timer', task: 'expire_attempt', target: n, due_at: deadline },
      {
        ...emit('escalation_attempt', {
          escalation_id: esc.id,
          attempt: n,
          round: attempt.round,
          user: attempt.user_name,
          channel: attempt.channel,
          to: attempt.to,
          message_uuid: sent.message_uuid,
          expires_at: iso(deadline),
        }),
        id: `emit-attempt-${n}`,
      },
    ],
  };
}

/**
 * A try of a send the provider did not take (an outage, a rate limit, no answer): the send stays
 * in the outbox, under a lease that runs until it is tried again at `retryAt`.
 */
export function sendRetrying(esc: Escalation, n: number, failure: { at: number; error: string }, retryAt: number): Escalation | undefined {
  const attempt = esc.attempts.find((one) => one.n === n);
  if (!attempt || attempt.sent_at !== undefined || attempt.result !== undefined) return undefined;
  const count = (attempt.send_failures?.count ?? 0) + 1;
  const send_failures = { count, first_at: attempt.send_failures?.first_at ?? iso(failure.at), last_error: failure.error };
  return { ...replaceAttempt(esc, { ...attempt, send_failures }), flush_lease_until: retryAt };
}

/** A send failed for good (refused, or the provider did not take it for as long as the channel waits): fail over at once. */
export function sendFailed(esc: Escalation, n: number, error: string, now: number): Escalation | undefined {
  const attempt = esc.attempts.find((one) => one.n === n);
  if (!attempt || attempt.message_uuid !== undefined || attempt.result !== undefined) return undefined;
  const updated = replaceAttempt({ ...esc, outbox: withoutEffect(esc.outbox, `send-${n}`) }, { ...attempt, result: 'failed', error });
  return esc.status === 'active' && currentAttempt(esc)?.n === n ? advance(updated, now) : updated;
}

/**
 * A status from the provider. A read (or a delivered where that is the condition) ends the
 * escalation, even for an earlier attempt; a rejection of the current attempt fails over at once.
 */
export function applyReceipt(esc: Escalation, n: number, receipt: Receipt, now: number): Escalation | undefined {
  const attempt = esc.attempts.find((one) => one.n === n);
  if (!attempt || attempt.statuses.some((known) => known.status === receipt.status && known.at === receipt.at)) return undefined;
  // Receipts can arrive out of order: the timeline is kept in the provider's time order.
  const statuses = [...attempt.statuses, { status: receipt.status, at: receipt.at }].sort((a, b) => a.at.localeCompare(b.at));
  const recorded = {
    ...attempt,
    statuses,
    ...(attempt.message_uuid === undefined && receipt.message_uuid ? { message_uuid: receipt.message_uuid } : {}),
  };
  const updated = replaceAttempt(esc, recorded);
  if (esc.status !== 'active') return updated;
  if (isSuccess(attempt, receipt.status)) {
    const status = receipt.status === 'read' ? 'read' : 'delivered';
    return finish(replaceAttempt(updated, { ...recorded, result: status }), now, outcomeOf(esc, recorded, status, receipt.at));
  }
  if (FAILED.has(receipt.status) && attempt.result === undefined) {
    const failed = replaceAttempt(updated, { ...recorded, result: 'failed', error: receipt.status });
    return currentAttempt(esc)?.n === n && esc.plan.mode === 'messages' ? advance(failed, now) : failed;
  }
  return updated;
}

function outcomeOf(esc: Escalation, attempt: Attempt, status: Outcome['status'], at: string): Outcome {
  return {
    status,
    user: attempt.user_name,
    channel: attempt.channel,
    attempt: attempt.n,
    at,
    elapsed_ms: Math.max(0, Date.parse(at) - Date.parse(esc.started_at)),
  };
}

/** The current attempt's time is up without its condition: the next channel, user or round. */
export function expireAttempt(esc: Escalation, n: number, now: number): Escalation | undefined {
  const attempt = currentAttempt(esc);
  if (esc.status !== 'active' || attempt?.n !== n || attempt.result !== undefined || attempt.message_uuid === undefined) return undefined;
  return advance(replaceAttempt(esc, { ...attempt, result: 'expired' }), now);
}

/** The user answered from an address we messaged: that is an acknowledgement. */
export function acknowledgeReply(
  esc: Escalation,
  reply: { channel: string; from: string; at: string },
  now: number,
): Escalation | undefined {
  if (esc.status !== 'active') return undefined;
  const attempt = [...esc.attempts]
    .reverse()
    .find((one) => one.message_uuid !== undefined && one.channel === reply.channel && one.to === reply.from);
  if (!attempt) return undefined;
  const replied = { ...attempt, result: 'replied' as const };
  return finish(replaceAttempt(esc, replied), now, outcomeOf(esc, replied, 'replied', reply.at));
}

export function cancel(esc: Escalation, now: number): Escalation | undefined {
  if (esc.status !== 'active') return undefined;
  const cancelled = { ...esc, status: 'cancelled' as const, ended_at: iso(now) };
  return {
    ...cancelled,
    outbox: [...pendingOnly(esc.outbox), emit('escalation_cancelled', { escalation_id: esc.id, attempts: attemptsSummary(cancelled) })],
  };
}

/** The outbox without the effects that are done. */
export function effectsDone(esc: Escalation, ids: ReadonlySet<string>): Escalation | undefined {
  return esc.outbox.some((effect) => ids.has(effect.id))
    ? { ...esc, outbox: esc.outbox.filter((effect) => !ids.has(effect.id)) }
    : undefined;
}

/* ---- Dispatch mode: Vonage runs each user's channels; the engine follows and moves between users. ---- */

function replaceRun(esc: Escalation, index: number, run: DispatchRun): Escalation {
  return { ...esc, dispatches: esc.dispatches.map((one, i) => (i === index ? run : one)) };
}

/** The workflow for a user was accepted; a safety deadline covers a final report that never comes. */
export function recordDispatched(
  esc: Escalation,
  index: number,
  created: { dispatch_uuid: string; at: number },
  scale: Scale,
): Escalation | undefined {
  const run = esc.dispatches[index];
  if (!run || run.dispatch_uuid !== undefined) return undefined;
  const user = esc.plan.users[run.user]!;
  const workflowS = user.channels.slice(0, -1).reduce((sum, channel) => sum + channel.expiry_s, 0) + user.final_expiry_s;
  const deadline = created.at + scale(workflowS) + scale(60);
  const updated = replaceRun({ ...esc, outbox: withoutEffect(esc.outbox, `dispatch-${index}`) }, index, {
    ...run,
    dispatch_uuid: created.dispatch_uuid,
    created_at: iso(created.at),
    deadline_at: iso(deadline),
  });
  if (esc.status !== 'active') return updated;
  return {
    ...updated,
    outbox: [...updated.outbox, { id: `timer-run-${index}`, kind: 'timer', task: 'expire_run', target: index, due_at: deadline }],
  };
}

export function dispatchFailed(esc: Escalation, index: number, error: string, now: number): Escalation | undefined {
  const run = esc.dispatches[index];
  if (!run || run.dispatch_uuid !== undefined || run.final_status !== undefined) return undefined;
  const updated = replaceRun({ ...esc, outbox: withoutEffect(esc.outbox, `dispatch-${index}`) }, index, {
    ...run,
    final_status: 'error',
    final_at: iso(now),
  });
  const failed: Attempt = { ...plannedAttempt(esc, { round: run.round, user: run.user, channel: 0 }), result: 'failed', error };
  const recorded = { ...updated, attempts: [...updated.attempts, failed] };
  return esc.status === 'active' && index === esc.dispatches.length - 1 ? advance(recorded, now) : recorded;
}

interface WorkflowMessage {
  message_uuid: string;
  channel: Attempt['channel'];
  /** Unknown when only the final report names the message: the plan has it. */
  to?: string;
  at: string;
}

/** The attempt for a message of a user's workflow, added (in workflow order) when first heard of. */
function withDispatchAttempt(esc: Escalation, index: number, message: WorkflowMessage): { esc: Escalation; attempt: Attempt } {
  const known = esc.attempts.find((one) => one.message_uuid === message.message_uuid);
  if (known) return { esc, attempt: known };
  const run = esc.dispatches[index]!;
  const user = esc.plan.users[run.user]!;
  const position = esc.attempts.filter((one) => one.dispatch_uuid === run.dispatch_uuid).length;
  const channelIndex = Math.min(position, user.channels.length - 1);
  const attempt: Attempt = {
    ...plannedAttempt(esc, { round: run.round, user: run.user, channel: channelIndex }),
    channel: message.channel,
    to: message.to ?? user.channels[channelIndex]!.to,
    message_uuid: message.message_uuid,
    dispatch_uuid: run.dispatch_uuid,
    sent_at: message.at,
  };
  const progress: Effect[] =
    esc.status === 'active'
      ? [
          { id: `index-${attempt.n}`, kind: 'index_address', channel: attempt.channel, to: attempt.to },
          {
            ...emit('escalation_attempt', {
              escalation_id: esc.id,
              attempt: attempt.n,
              round: attempt.round,
              user: attempt.user_name,
              channel: attempt.channel,
              to: attempt.to,
              message_uuid: attempt.message_uuid,
              dispatch_uuid: run.dispatch_uuid,
            }),
            id: `emit-attempt-${attempt.n}`,
          },
        ]
      : [];
  return { esc: { ...esc, attempts: [...esc.attempts, attempt], outbox: [...esc.outbox, ...progress] }, attempt };
}

/** Once a workflow has failed outright (every message failed), waiting for a read is pointless: move on. */
function moveOnIfRanOut(esc: Escalation, index: number, now: number): Escalation {
  const run = esc.dispatches[index]!;
  const messages = esc.attempts.filter((one) => one.dispatch_uuid === run.dispatch_uuid);
  const ranOut = run.final_status === 'error' && messages.length > 0 && messages.every((one) => one.result === 'failed');
  return esc.status === 'active' && ranOut && index === esc.dispatches.length - 1 ? advance(esc, now) : esc;
}

/** A message of a workflow reported: it becomes (or updates) an attempt, in workflow order. */
export function applyDispatchStatus(
  esc: Escalation,
  index: number,
  message: WorkflowMessage & { receipt: Receipt },
  now: number,
): Escalation | undefined {
  if (!esc.dispatches[index]) return undefined;
  const added = withDispatchAttempt(esc, index, message);
  const received = applyReceipt(added.esc, added.attempt.n, message.receipt, now) ?? (added.esc === esc ? undefined : added.esc);
  return received && moveOnIfRanOut(received, index, now);
}

/**
 * The workflow ended. Messages that never reported are added from the report's links; then the
 * user's final expiry is awaited for a read, unless nothing can be read any more.
 */
export function applyFinalReport(
  esc: Escalation,
  index: number,
  report: { status: 'completed' | 'error'; at: string; messages: Array<{ message_uuid: string; channel: Attempt['channel'] }> },
  scale: Scale,
  now: number,
): Escalation | undefined {
  const run = esc.dispatches[index];
  if (!run || run.final_status !== undefined) return undefined;
  let current = esc;
  for (const message of report.messages) current = withDispatchAttempt(current, index, { ...message, at: report.at }).esc;
  const deadline = now + scale(esc.plan.users[run.user]!.final_expiry_s);
  const updated = replaceRun(current, index, { ...run, final_status: report.status, final_at: report.at, deadline_at: iso(deadline) });
  if (esc.status !== 'active') return updated;
  const waiting = {
    ...updated,
    outbox: [
      ...updated.outbox,
      { id: `timer-run-${index}-final`, kind: 'timer' as const, task: 'expire_run' as const, target: index, due_at: deadline },
    ],
  };
  return moveOnIfRanOut(waiting, index, now);
}

/** The wait for this user's workflow is over without a read: the next user, round, or the end. */
export function expireRun(esc: Escalation, index: number, now: number): Escalation | undefined {
  const run = esc.dispatches[index];
  if (esc.status !== 'active' || !run || index !== esc.dispatches.length - 1) return undefined;
  if (run.deadline_at && Date.parse(run.deadline_at) > now) return undefined;
  const attempts = esc.attempts.map((one) =>
    one.dispatch_uuid === run.dispatch_uuid && one.result === undefined ? { ...one, result: 'expired' as const } : one,
  );
  return advance({ ...esc, attempts }, now);
}
