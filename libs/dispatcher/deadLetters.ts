import { z } from 'zod';
import { readBySeq, readRecent, recordJson, STREAMS, type Bus } from '../bus/index.js';
import { SwitchboardError } from '../errors/index.js';
import { publishEvent, Token, VumiApiEvent, type PublishedEvent } from '../events/index.js';

/** Replays carry this header so that only the route that failed runs again. */
export const ONLY_ROUTE_HEADER = 'Switchboard-Only-Route';

/** The routes revision the publisher had written when it published the event (see RouteTable.caughtUp). */
export const ROUTES_REVISION_HEADER = 'Switchboard-Routes-Revision';

export const DEAD_LETTER_REASONS = ['handler_failed', 'malformed', 'depth_exceeded'] as const;

export const DeadLetter = z.object({
  reason: z.enum(DEAD_LETTER_REASONS),
  account_key: Token,
  /** The event, when it was a valid one (absent for malformed messages). */
  event: VumiApiEvent.optional(),
  /** What arrived, for malformed messages (truncated). */
  raw: z.string().optional(),
  subject: z.string().optional(),
  route_id: z.string().optional(),
  step: z.number().int().optional(),
  handler: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  attempts: z.number().int().min(0),
  failed_at: z.string(),
});

export type DeadLetter = z.infer<typeof DeadLetter>;
export type StoredDeadLetter = DeadLetter & { id: number };

const UNKNOWN_ACCOUNT = '_unknown';

/** The account a message belongs to, read from its subject when its body cannot be trusted. */
export function accountOfSubject(subject: string): string {
  const account = subject.split('.')[1];
  return account && Token.safeParse(account).success ? account : UNKNOWN_ACCOUNT;
}

/** Events whose handling failed for good, on the DEADLETTER stream; the id is the stream sequence. */
export class DeadLetters {
  constructor(private readonly bus: Bus) {}

  /** Stores a dead letter once per `dedupeId` (a redelivered failure does not store it twice). */
  async add(letter: DeadLetter, dedupeId: string): Promise<number> {
    const ack = await this.bus.js.publish(`deadletter.${letter.account_key}.${letter.reason}`, JSON.stringify(letter), {
      msgID: dedupeId,
    });
    return ack.seq;
  }

  async list(account: string, limit: number): Promise<StoredDeadLetter[]> {
    const records = await readRecent(this.bus, STREAMS.deadletter, `deadletter.${account}.>`, limit);
    return records.map((record) => ({ id: record.seq, ...DeadLetter.parse(recordJson(record)) })).reverse();
  }

  async get(account: string, id: number): Promise<StoredDeadLetter | undefined> {
    const record = await readBySeq(this.bus, STREAMS.deadletter, id);
    if (!record || accountOfSubject(record.subject) !== account) return undefined;
    return { id, ...DeadLetter.parse(recordJson(record)) };
  }

  /**
   * Publishes the dead-lettered event again, for its failed route only, then removes the dead
   * letter. The event keeps its id (handlers key their idempotent work on it), so the publish
   * uses a message id of its own to pass JetStream's duplicate window.
   */
  async replay(account: string, id: number): Promise<PublishedEvent> {
    const letter = await this.get(account, id);
    if (!letter) throw new SwitchboardError('not_found', `no dead letter ${id} in account ${account}`);
    if (!letter.event) {
      throw new SwitchboardError('conflict', `dead letter ${id} holds a malformed message, not an event: there is nothing to replay`);
    }
    const published = await publishEvent(this.bus.js, letter.event, {
      msgId: `${letter.event.event_id}-replay-${id}`,
      headers: letter.route_id ? { [ONLY_ROUTE_HEADER]: letter.route_id } : undefined,
    });
    await this.bus.jsm.streams.deleteMessage(STREAMS.deadletter, id, false);
    return published;
  }
}
