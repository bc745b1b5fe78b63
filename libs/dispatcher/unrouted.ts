import { readRecent, recordJson, STREAMS, type Bus } from '../bus/index.js';
import { VumiApiEvent } from '../events/index.js';

export interface UnroutedEvent {
  event: VumiApiEvent;
  recorded_at: string;
}

/** A batch is stored at once when it gets this big, well under NATS's 1 MB message limit. */
const MAX_BATCH_EVENTS = 256;
const MAX_BATCH_BYTES = 256 * 1024;

/** Events waiting to be stored together, as JSON by account. */
class PendingBatch {
  readonly byAccount = new Map<string, string[]>();
  count = 0;
  bytes = 0;

  add(account: string, json: string): void {
    const events = this.byAccount.get(account);
    if (events) events.push(json);
    else this.byAccount.set(account, [json]);
    this.count++;
    this.bytes += json.length;
  }

  get full(): boolean {
    return this.count >= MAX_BATCH_EVENTS || this.bytes >= MAX_BATCH_BYTES;
  }
}

function subject(account: string): string {
  return `unrouted.${account}.events`;
}

/**
 * The account's default handler: an event no route matches is recorded here (and listable),
 * never dropped on the floor. Those recorded in one turn of the event loop are stored together,
 * one message (a JSON array) per account: under load most events a handler emits (escalation
 * progress, say) match no route, and a stored message each was a publish and an ack apiece. A
 * consumer takes its messages in bursts, so a busy dispatcher records many in a turn; an idle one
 * waits no longer than that turn.
 */
export class UnroutedEvents {
  private open: { batch: PendingBatch; stored: Promise<void>; seal: () => void } | undefined;

  constructor(private readonly bus: Bus) {}

  /** Resolves once the event is stored. */
  record(event: VumiApiEvent): Promise<void> {
    const open = (this.open ??= this.openBatch());
    open.batch.add(event.account_key, JSON.stringify(event));
    if (open.batch.full) open.seal();
    return open.stored;
  }

  private openBatch(): NonNullable<UnroutedEvents['open']> {
    const batch = new PendingBatch();
    let release!: () => void;
    const sealed = new Promise<void>((resolve) => (release = resolve));
    const seal = () => {
      clearImmediate(timer);
      if (this.open?.batch === batch) this.open = undefined;
      release();
    };
    const timer = setImmediate(seal);
    const stored = sealed.then(async () => {
      await Promise.all([...batch.byAccount].map(([account, events]) => this.bus.js.publish(subject(account), `[${events.join(',')}]`)));
    });
    return { batch, stored, seal };
  }

  /** The most recent first; an event recorded twice (its redelivery) is listed once. */
  async list(account: string, limit: number): Promise<UnroutedEvent[]> {
    // Every stored message holds at least one event, so the last `limit` messages hold enough.
    const records = await readRecent(this.bus, STREAMS.unrouted, `unrouted.${account}.>`, limit);
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
