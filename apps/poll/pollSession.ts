import { z } from 'zod';
import { stableId, type EventInput } from '#libs/events';
import type { PollAnswer } from './pollAnswer.js';
import type { PollDefinition } from './pollDefinition.js';

/**
 * One respondent's progress through one run of the poll. `completing` means every question is
 * answered and the poll_complete event must be published; `closed` means it was, and the next
 * answer starts session + 1.
 */
export const PollSession = z.object({
  msisdn: z.string(),
  session: z.number().int().min(1),
  status: z.enum(['open', 'completing', 'closed']),
  name: z.string().optional(),
  answers: z.record(z.string(), z.string()),
  started_at: z.iso.datetime({ offset: true }),
  updated_at: z.iso.datetime({ offset: true }),
  completed_at: z.iso.datetime({ offset: true }).optional(),
});

export type PollSession = z.infer<typeof PollSession>;

/** `<account>.<poll>.<msisdn digits>`: one respondent of one poll is one key. */
export function sessionKey(poll: PollDefinition, msisdn: string): string {
  return `${poll.account_key}.${poll.key}.${msisdn}`;
}

/** Every session of the poll. */
export function pollSessionsFilter(poll: PollDefinition): string {
  return `${poll.account_key}.${poll.key}.*`;
}

export function remainingQuestions(poll: PollDefinition, session: PollSession): string[] {
  return poll.questions.filter((question) => !Object.hasOwn(session.answers, question.id)).map((question) => question.id);
}

/**
 * The session after these answers. A closed session (or none) starts a new one; the caller
 * never passes a `completing` session, whose event must be published before it may change.
 */
export function recordAnswers(poll: PollDefinition, current: PollSession | undefined, answer: PollAnswer, now: string): PollSession {
  const fresh = !current || current.status === 'closed';
  const answers = { ...(fresh ? {} : current.answers), ...answer.answers };
  const next: PollSession = {
    msisdn: answer.msisdn,
    session: fresh ? (current?.session ?? 0) + 1 : current.session,
    status: 'open',
    name: answer.name ?? (fresh ? undefined : current.name),
    answers,
    started_at: fresh ? now : current.started_at,
    updated_at: now,
  };
  return remainingQuestions(poll, next).length === 0 ? { ...next, status: 'completing', completed_at: now } : next;
}

/** True when the answer changes nothing in the session: a client's retry of the request that sent it. */
export function repeatsSession(session: PollSession, answer: PollAnswer): boolean {
  return (
    (answer.name === undefined || answer.name === session.name) &&
    Object.entries(answer.answers).every(([id, value]) => session.answers[id] === value)
  );
}

/**
 * Derived, never random: publishing a session's completion again (a retry, a restart) gives the
 * same id, which JetStream's duplicate window stores once.
 */
export function completionEventId(poll: PollDefinition, session: Pick<PollSession, 'msisdn' | 'session'>): string {
  return stableId(poll.account_key, poll.key, session.msisdn, session.session);
}

/** The poll_complete event; each answer is also a top-level field so routes can `where` on it. */
export function completionEvent(poll: PollDefinition, session: PollSession): EventInput {
  return {
    event_id: completionEventId(poll, session),
    account_key: poll.account_key,
    conversation_type: 'poll',
    conversation_key: poll.key,
    event_type: 'poll_complete',
    // A question with the id "name" comes after the respondent's given name, so its answer wins.
    event_data: {
      msisdn: session.msisdn,
      ...(session.name === undefined ? {} : { name: session.name }),
      ...session.answers,
      answers: session.answers,
    },
    timestamp: session.completed_at,
  };
}
