import { openBuckets, readRecent, recordJson, STREAMS, type Bus } from '#libs/bus';
import { escalationId, EscalationRepository, type Attempt, type Escalation } from '#libs/escalation';
import type { EscalationCase } from './cases.js';
import { OUTCOME_TYPES } from './outcomeWatch.js';
import { BENCH_ACCOUNT } from './routes.js';

/** Reads in flight at once while checking the bucket. */
const READ_BATCH = 256;

export interface Mismatch {
  index: number;
  escalationId: string;
  what: string;
}

/** Latencies read from the escalations' own timelines, in real ms. */
export interface Lags {
  /** Trigger published to first message accepted. */
  start: number[];
  /** An attempt's deadline to the next message accepted (the expiry timer, then the send). */
  failover: number[];
  /** A rejected / undeliverable status to the next message accepted. */
  failFast: number[];
  /** The provider's read (or delivery) to the escalation ending. */
  outcome: number[];
  /** The last deadline (or failure) to an exhausted escalation ending. */
  exhaust: number[];
}

export interface Verification {
  escalations: number;
  /** The outcome in the bucket is the expected one. */
  correct: number;
  /** Escalations with no document, and documents still active. */
  missing: number;
  unfinished: number;
  /** Wrong, missing or unfinished escalations (all of them; print the first few). */
  wrong: Mismatch[];
  /** Escalations whose outcome events on EVENTS are not exactly one of the expected type. */
  badEvents: Mismatch[];
  /** Escalation ids with more than one outcome event. */
  duplicateOutcomes: number;
  outcomeEvents: number;
  /** Outcome events of escalations the benchmark did not start. */
  strayOutcomes: number;
  /** Documents in the account that are not the benchmark's escalations. */
  strayEscalations: number;
  /** Escalations that sent more (or fewer) messages than their scenario calls for: a late receipt or timer, not a wrong outcome. */
  extraSends: Mismatch[];
  missingSends: Mismatch[];
  sendsRecorded: number;
  deadLetters: number;
  /** Epoch ms when the last escalation ended (from the documents). */
  lastEndedAt: number;
  lags: Lags;
}

const ms = (iso: string | undefined) => (iso === undefined ? Number.NaN : Date.parse(iso));

function describeActual(esc: Escalation): string {
  const sends = esc.attempts.filter((one) => one.message_uuid !== undefined).length;
  if (esc.status === 'active') return `still active after ${sends} send(s)`;
  if (!esc.outcome) return `${esc.status} after ${sends} send(s)`;
  const { status, user, channel, attempt } = esc.outcome;
  return `${status} by ${user} on ${channel} (attempt ${attempt}) after ${sends} send(s)`;
}

function describeExpected(one: EscalationCase): string {
  const { outcome, sends } = one.expected;
  return outcome
    ? `${outcome.status} by ${outcome.user} on ${outcome.channel} (attempt ${outcome.attempt}) after ${sends} send(s)`
    : `exhausted after ${sends} send(s)`;
}

function isCorrect(one: EscalationCase, esc: Escalation): boolean {
  const want = one.expected;
  if (esc.status !== want.status) return false;
  if (!want.outcome) return esc.outcome === undefined;
  const got = esc.outcome;
  return (
    got !== undefined &&
    got.status === want.outcome.status &&
    got.user === want.outcome.user &&
    got.channel === want.outcome.channel &&
    got.attempt === want.outcome.attempt
  );
}

const failureAt = (attempt: Attempt) => ms(attempt.statuses.find((one) => one.status === 'rejected' || one.status === 'undeliverable')?.at);

function collectLags(esc: Escalation, lags: Lags): void {
  const sent = esc.attempts.filter((one) => one.sent_at !== undefined);
  if (sent.length === 0) return;
  lags.start.push(ms(sent[0]!.sent_at) - ms(esc.trigger.timestamp));
  for (let i = 1; i < sent.length; i++) {
    const previous = sent[i - 1]!;
    const at = ms(sent[i]!.sent_at);
    if (previous.result === 'expired') lags.failover.push(at - ms(previous.deadline_at));
    else if (previous.result === 'failed') lags.failFast.push(at - failureAt(previous));
  }
  const ended = ms(esc.ended_at);
  const last = sent.at(-1)!;
  if (esc.outcome) lags.outcome.push(ended - ms(esc.outcome.at));
  else if (esc.status === 'exhausted') lags.exhaust.push(ended - (last.result === 'failed' ? failureAt(last) : ms(last.deadline_at)));
}

async function checkDocuments(repo: EscalationRepository, cases: readonly EscalationCase[], result: Verification): Promise<void> {
  for (let from = 0; from < cases.length; from += READ_BATCH) {
    const batch = cases.slice(from, from + READ_BATCH);
    const docs = await Promise.all(batch.map((one) => repo.get(BENCH_ACCOUNT, escalationId(one.eventId, one.route.id, 0))));
    batch.forEach((one, position) => {
      const id = escalationId(one.eventId, one.route.id, 0);
      const esc = docs[position];
      const label = `#${one.index} (${one.route.id}, ${one.kind})`;
      if (!esc) {
        result.missing++;
        result.wrong.push({
          index: one.index,
          escalationId: id,
          what: `${label}: no escalation in the bucket; expected ${describeExpected(one)}`,
        });
        return;
      }
      const sends = esc.attempts.filter((attempt) => attempt.message_uuid !== undefined).length;
      result.sendsRecorded += sends;
      if (esc.status === 'active') result.unfinished++;
      if (isCorrect(one, esc)) result.correct++;
      else
        result.wrong.push({
          index: one.index,
          escalationId: id,
          what: `${label}: expected ${describeExpected(one)}, got ${describeActual(esc)}`,
        });
      if (sends !== one.expected.sends) {
        const mismatch = {
          index: one.index,
          escalationId: id,
          what: `${label}: ${sends} send(s) where the scenario calls for ${one.expected.sends}: ${esc.attempts.map((a) => `${a.user_name}/${a.channel}=${a.result ?? 'open'}`).join(', ')}`,
        };
        (sends > one.expected.sends ? result.extraSends : result.missingSends).push(mismatch);
      }
      if (esc.ended_at) result.lastEndedAt = Math.max(result.lastEndedAt, ms(esc.ended_at));
      collectLags(esc, result.lags);
    });
  }
}

/** Every stored outcome event of the account, by escalation id and type, from the EVENTS stream itself. */
async function outcomeEventsById(bus: Bus): Promise<Map<string, string[]>> {
  const byId = new Map<string, string[]>();
  for (const type of OUTCOME_TYPES) {
    const records = await readRecent(bus, STREAMS.events, `events.${BENCH_ACCOUNT}.*.*.${type}`, Number.MAX_SAFE_INTEGER);
    for (const record of records) {
      const id = String((recordJson(record) as { event_data?: { escalation_id?: unknown } }).event_data?.escalation_id);
      byId.set(id, [...(byId.get(id) ?? []), type]);
    }
  }
  return byId;
}

function checkEvents(byId: Map<string, string[]>, cases: readonly EscalationCase[], result: Verification): void {
  const expectedIds = new Set<string>();
  for (const one of cases) {
    const id = escalationId(one.eventId, one.route.id, 0);
    expectedIds.add(id);
    const types = byId.get(id) ?? [];
    const want = one.expected.status === 'read' ? 'escalation_read' : 'escalation_exhausted';
    if (types.length > 1) result.duplicateOutcomes++;
    if (types.length !== 1 || types[0] !== want) {
      result.badEvents.push({
        index: one.index,
        escalationId: id,
        what: `#${one.index} (${one.route.id}, ${one.kind}): outcome events [${types.join(', ') || 'none'}], expected exactly one ${want}`,
      });
    }
  }
  for (const [id, types] of byId) {
    result.outcomeEvents += types.length;
    if (!expectedIds.has(id)) result.strayOutcomes += types.length;
  }
}

/** Ids of the account's escalation documents (not index entries), from the stream's own subject index. */
async function escalationIds(bus: Bus): Promise<string[]> {
  const prefix = `$KV.escalations.${BENCH_ACCOUNT}.`;
  const info = await bus.jsm.streams.info('KV_escalations', { subjects_filter: `${prefix}*` });
  return Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
}

/**
 * The verdict, from durable state only: each escalation's document in the `escalations` bucket
 * against its scenario's expected outcome, and the outcome events stored on EVENTS (exactly one
 * per escalation, of the expected type).
 */
export async function verifyRun(bus: Bus, cases: readonly EscalationCase[]): Promise<Verification> {
  const buckets = await openBuckets(bus);
  const result: Verification = {
    escalations: cases.length,
    correct: 0,
    missing: 0,
    unfinished: 0,
    wrong: [],
    badEvents: [],
    duplicateOutcomes: 0,
    outcomeEvents: 0,
    strayOutcomes: 0,
    strayEscalations: 0,
    extraSends: [],
    missingSends: [],
    sendsRecorded: 0,
    deadLetters: 0,
    lastEndedAt: 0,
    lags: { start: [], failover: [], failFast: [], outcome: [], exhaust: [] },
  };
  await checkDocuments(new EscalationRepository(buckets.escalations), cases, result);
  checkEvents(await outcomeEventsById(bus), cases, result);
  const expectedIds = new Set(cases.map((one) => escalationId(one.eventId, one.route.id, 0)));
  result.strayEscalations = (await escalationIds(bus)).filter((id) => !expectedIds.has(id)).length;
  result.deadLetters = (await bus.jsm.streams.info(STREAMS.deadletter)).state.messages;
  return result;
}
