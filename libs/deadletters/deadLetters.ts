import { NatsError, type JsMsg } from 'nats';
import { z } from 'zod';
import { readBySeq, readRecent, recordJson, STREAMS, streamSubjects, type Bus, type FailurePolicy } from '#libs/bus';
import { errorMessage, SwitchboardError } from '#libs/errors';
import { ONLY_ROUTE_HEADER, publishEvent, Token, VumiApiEvent, type PublishedEvent } from '#libs/events';

/**
 * `poison`: a message whose handling failed on every attempt, outside any step (see PoisonFiling).
 * `fanout_exceeded`: one per root event past its fan-out budget (see FanoutBudget).
 */
export const DEAD_LETTER_REASONS = ['handler_failed', 'malformed', 'depth_exceeded', 'poison', 'fanout_exceeded'] as const;

export const DeadLetter = z.object({
  reason: z.enum(DEAD_LETTER_REASONS),
  account_key: Token,
  /** The event, when it was a valid one (absent for malformed messages). */
  event: VumiApiEvent.optional(),
  /** What arrived, for malformed messages (truncated). */
  raw: z.string().optional(),
  subject: z.string().optional(),
  /** The durable consumer that gave up on the message (poison). */
  consumer: z.string().optional(),
  /** The message as stored, for a poison message that is not an event: published again on `subject`, it is replayed. */
  data: z.string().optional(),
  /** Set when the message was too large to keep whole: `data` holds its start. */
  truncated: z.boolean().optional(),
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

/** Where a poison message that names no account is filed (an inbound webhook, say). */
export const SYSTEM_ACCOUNT = '_system';

/** Room left in a dead letter for its headers, under the server's largest message. */
const HEADERS_ROOM = 1024;
/** What a dead letter keeps of a message too large to keep whole. */
const TRUNCATED_CHARS = 4096;

/** When a consumer gives up on a message that keeps failing, and where it files it. */
export interface PoisonPolicy extends FailurePolicy {
  deadLetters: DeadLetters;
}

/** A message a consumer gave up on. */
export interface PoisonFiling {
  consumer: string;
  /** The account the message belongs to, when it names one. */
  account: string | undefined;
  msg: JsMsg;
  error: unknown;
  attempts: number;
  /** The event, for the dispatcher's messages: a replay publishes it again. */
  event?: VumiApiEvent;
  /** The one route a replayed event was for. */
  routeId?: string;
}

const decoder = new TextDecoder();

function errorRecord(err: unknown): DeadLetter['error'] {
  if (err instanceof SwitchboardError) return err.toJSON();
  // A nats.js error has a code of its own (MAX_PAYLOAD_EXCEEDED, say).
  return { code: err instanceof NatsError ? err.code : 'internal', message: errorMessage(err) };
}

/** Why a dead letter cannot be replayed through the API: it holds no event, or stands for many. */
function notReplayable(id: number, letter: DeadLetter): string {
  if (letter.truncated) return `dead letter ${id} keeps only the start of a message too large to store whole: there is nothing to replay`;
  if (letter.reason === 'fanout_exceeded') {
    return `dead letter ${id} stands for every event root event ${letter.event?.cause?.root_event_id} caused past its fan-out budget, not for one event: publish the root event again (under a new event_id) once the routes or the budget are changed`;
  }
  if (letter.reason === 'poison')
    return `dead letter ${id} holds a message of the ${letter.consumer} consumer, not an event: publish its data on its subject to replay it`;
  return `dead letter ${id} holds a malformed message, not an event: there is nothing to replay`;
}

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
    const ack = await this.bus.js.publish(streamSubjects.deadLetter(letter.account_key, letter.reason), this.storable(letter), {
      msgID: dedupeId,
    });
    return ack.seq;
  }

  /** Files a poison message under its account, once per stream message. */
  async addPoison(filing: PoisonFiling): Promise<number> {
    const { msg, event } = filing;
    const letter: DeadLetter = {
      reason: 'poison',
      account_key: filing.account && Token.safeParse(filing.account).success ? filing.account : SYSTEM_ACCOUNT,
      consumer: filing.consumer,
      subject: msg.subject,
      ...(event ? { event } : { data: decoder.decode(msg.data) }),
      route_id: filing.routeId,
      error: errorRecord(filing.error),
      attempts: filing.attempts,
      failed_at: new Date().toISOString(),
    };
    return this.add(letter, `poison-${msg.info.stream}-${msg.seq}`);
  }

  /**
   * The letter's JSON; a message too large for a dead letter keeps its start only. A dead letter
   * the server refuses would leave its message failing for ever.
   */
  private storable(letter: DeadLetter): string {
    const json = JSON.stringify(letter);
    const limit = (this.bus.nc.info?.max_payload ?? Number.POSITIVE_INFINITY) - HEADERS_ROOM;
    if (Buffer.byteLength(json) <= limit) return json;
    const { event, data, ...rest } = letter;
    const content = data ?? (event ? JSON.stringify(event) : '');
    return JSON.stringify({ ...rest, data: content.slice(0, TRUNCATED_CHARS), truncated: true } satisfies DeadLetter);
  }

  async list(account: string, limit: number): Promise<StoredDeadLetter[]> {
    const records = await readRecent(this.bus, STREAMS.deadletter, streamSubjects.deadLettersOf(account), limit);
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
    if (!letter.event || letter.reason === 'fanout_exceeded') throw new SwitchboardError('conflict', notReplayable(id, letter));
    const published = await publishEvent(this.bus.js, letter.event, {
      msgId: `${letter.event.event_id}-replay-${id}`,
      headers: letter.route_id ? { [ONLY_ROUTE_HEADER]: letter.route_id } : undefined,
    });
    await this.bus.jsm.streams.deleteMessage(STREAMS.deadletter, id, false);
    return published;
  }
}
