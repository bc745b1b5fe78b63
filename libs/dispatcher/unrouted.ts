import { readRecent, recordJson, STREAMS, streamSubjects, type Bus } from '#libs/bus';
import { VumiApiEvent } from '#libs/events';

export interface UnroutedEvent {
  event: VumiApiEvent;
  recorded_at: string;
}

/** A message is stored at once when it gets this big, well under NATS's 1 MB message limit. */
const MAX_BATCH_EVENTS = 256;
const MAX_BATCH_BYTES = 256 * 1024;

/** One account's events waiting to be stored together, and the promise their callers wait on. */
class PendingMessage {
  private readonly events: string[] = [];
  private bytes = 0;
  readonly stored: Promise<void>;
  settle!: { resolve: () => void; reject: (err: unknown) => void };

  constructor() {
    this.stored = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
  }

  /** An event too large to share a message is stored alone: it fails (over max_payload, say) alone. */
  fits(json: string): boolean {
    return this.events.length === 0 || (this.events.length < MAX_BATCH_EVENTS && this.bytes + Buffer.byteLength(json) <= MAX_BATCH_BYTES);
  }

  add(json: string): void {
    this.events.push(json);
    this.bytes += Buffer.byteLength(json);
  }

  get full(): boolean {
    return this.events.length >= MAX_BATCH_EVENTS || this.bytes >= MAX_BATCH_BYTES;
  }

  get body(): string {
    return `[${this.events.join(',')}]`;
  }
}

/**
 * The account's default handler: an event no route matches is recorded here (and listable),
 * never dropped on the floor. Those recorded in one turn of the event loop are stored together,
 * one message (a JSON array) per account: under load most events a handler emits (escalation
 * progress, say) match no route, and a stored message each was a publish and an ack apiece. A
 * consumer takes its messages in bursts, so a busy dispatcher records many in a turn; an idle one
 * waits no longer than that turn.
 *
 * Each caller waits on its own account's message only, and a message holds what fits in it, so a
 * message that cannot be stored fails its own events: never another account's, and an event too
 * large to share a message (which once took its whole batch over NATS's message limit) fails alone.
 */
export class UnroutedEvents {
  /** This turn's message of each account, stored at the end of the turn or once full. */
  private readonly open = new Map<string, PendingMessage>();
  private endOfTurn: NodeJS.Immediate | undefined;

  constructor(private readonly bus: Bus) {}

  /** Resolves once the event is stored. */
  record(event: VumiApiEvent): Promise<void> {
    const account = event.account_key;
    const json = JSON.stringify(event);
    let message = this.open.get(account);
    if (message && !message.fits(json)) {
      this.store(account, message);
      message = undefined;
    }
    if (!message) {
      message = new PendingMessage();
      this.open.set(account, message);
      this.endOfTurn ??= setImmediate(() => this.storeAll());
    }
    message.add(json);
    if (message.full) this.store(account, message);
    return message.stored;
  }

  private storeAll(): void {
    this.endOfTurn = undefined;
    for (const [account, message] of this.open) this.store(account, message);
  }

  private store(account: string, message: PendingMessage): void {
    this.open.delete(account);
    this.bus.js.publish(streamSubjects.unrouted(account), message.body).then(() => message.settle.resolve(), message.settle.reject);
  }

  /** The most recent first; an event recorded twice (its redelivery) is listed once. */
  async list(account: string, limit: number): Promise<UnroutedEvent[]> {
    // Every stored message holds at least one event, so the last `limit` messages hold enough.
    const records = await readRecent(this.bus, STREAMS.unrouted, streamSubjects.unroutedOf(account), limit);
    const listed = new Map<string, UnroutedEvent>();
    for (const record of records.reverse()) {
      const body = recordJson(record);
      const recorded_at = record.time.toISOString();
      // Before batches, a message held one event.
      for (const raw of (Array.isArray(body) ? body : [body]).reverse()) {
        const event = VumiApiEvent.parse(raw);
        if (!listed.has(event.event_id)) listed.set(event.event_id, { event, recorded_at });
      }
    }
    return [...listed.values()].slice(0, limit);
  }
}
