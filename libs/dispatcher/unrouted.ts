import { readRecent, recordJson, STREAMS, type Bus } from '../bus/index.js';
import { VumiApiEvent } from '../events/index.js';

export interface UnroutedEvent {
  event: VumiApiEvent;
  recorded_at: string;
}

/**
 * The account's default handler: an event no route matches is recorded here (and listable),
 * never dropped on the floor.
 */
export class UnroutedEvents {
  constructor(private readonly bus: Bus) {}

  async record(event: VumiApiEvent): Promise<void> {
    await this.bus.js.publish(`unrouted.${event.account_key}.${event.event_type}`, JSON.stringify(event), {
      msgID: event.event_id,
    });
  }

  async list(account: string, limit: number): Promise<UnroutedEvent[]> {
    const records = await readRecent(this.bus, STREAMS.unrouted, `unrouted.${account}.>`, limit);
    return records
      .map((record) => ({ event: VumiApiEvent.parse(recordJson(record)), recorded_at: record.time.toISOString() }))
      .reverse();
  }
}
