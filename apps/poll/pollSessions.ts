import { z } from 'zod';
import { openBucket, type Bus } from '#libs/bus';
import { publishEvent } from '#libs/events';
import type { Logger } from '#libs/logger';
import { JsonKv } from '#libs/store';
import type { PollAnswer } from './pollAnswer.js';
import type { PollDefinition } from './pollDefinition.js';
import {
  completionEvent,
  PollSession,
  pollSessionsFilter,
  recordAnswers,
  remainingQuestions,
  repeatsSession,
  sessionKey,
} from './pollSession.js';

/** The poll app's own bucket: not part of the server's topology, so it is created here. */
export const POLL_SESSIONS_BUCKET = 'poll_sessions';

/** What an answer gets back: the respondent's progress in their session. */
export const AnswerOutcome = z.object({
  complete: z.boolean(),
  /** Ids of the questions this respondent has yet to answer in this session. */
  remaining: z.array(z.string()),
  session: z.number().int(),
  /** The poll_complete event's id, when these answers completed the session. */
  event_id: z.string().optional(),
});
export type AnswerOutcome = z.infer<typeof AnswerOutcome>;

/**
 * Respondents' progress, durable in KV and changed only by compare-and-set, and the exactly-once
 * publishing of their completions: a session is marked `completing` before its event is
 * published, and `closed` after, so a crash in between leaves work that is finished later
 * under the same event id.
 */
export class PollSessions {
  private constructor(
    private readonly bus: Bus,
    private readonly poll: PollDefinition,
    private readonly docs: JsonKv<typeof PollSession>,
    private readonly log: Logger,
  ) {}

  static async open(bus: Bus, poll: PollDefinition, log: Logger): Promise<PollSessions> {
    const bucket = await openBucket(bus, POLL_SESSIONS_BUCKET, { history: 1 });
    return new PollSessions(bus, poll, new JsonKv(bucket, PollSession), log);
  }

  async answer(answer: PollAnswer): Promise<AnswerOutcome> {
    const key = sessionKey(this.poll, answer.msisdn);
    for (;;) {
      // Whether this answer is part of the session mutate returns.
      let ours = false;
      const saved = await this.docs.mutate(key, (current) => {
        if (current?.status === 'completing') {
          // Not yet published: a retry of the completing request gets that completion; other
          // answers wait until it is published, as a new session would overwrite it.
          ours = repeatsSession(current, answer);
          return undefined;
        }
        ours = true;
        return recordAnswers(this.poll, current, answer, new Date().toISOString());
      });
      // Never undefined: `change` only declines when there is a (completing) session.
      const session = saved!.value;
      if (session.status !== 'completing') {
        return { complete: false, remaining: remainingQuestions(this.poll, session), session: session.session };
      }
      const eventId = await this.publishCompletion(key, session);
      if (ours) return { complete: true, remaining: [], session: session.session, event_id: eventId };
    }
  }

  /** Publishes the completions a crash left unpublished; run at start. Returns how many. */
  async publishPending(): Promise<number> {
    const pending = (await this.docs.values(pollSessionsFilter(this.poll))).filter((session) => session.status === 'completing');
    for (const session of pending) await this.publishCompletion(sessionKey(this.poll, session.msisdn), session);
    return pending.length;
  }

  private async publishCompletion(key: string, session: PollSession): Promise<string> {
    const published = await publishEvent(this.bus.js, completionEvent(this.poll, session));
    const eventId = published.event.event_id;
    this.log.info(
      { event_id: eventId, msisdn: session.msisdn, session: session.session, duplicate: published.duplicate },
      published.duplicate ? 'poll_complete was already published' : 'poll_complete published',
    );
    await this.docs.mutate(key, (current) =>
      current?.status === 'completing' && current.session === session.session ? { ...current, status: 'closed' } : undefined,
    );
    return eventId;
  }
}
