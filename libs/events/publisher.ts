import { headers as natsHeaders, type JetStreamClient, type MsgHdrs } from 'nats';
import { validationError } from '../errors/index.js';
import { EventInput, type VumiApiEvent } from './envelope.js';
import { newEventId } from './eventId.js';
import { eventSubject } from './subject.js';

export interface PublishOptions {
  /** The JetStream message id; defaults to the event id, which is what makes re-publishing idempotent. */
  msgId?: string;
  headers?: Record<string, string>;
}

export interface PublishedEvent {
  event: VumiApiEvent;
  subject: string;
  seq: number;
  /** True when JetStream had already stored this event id within its duplicate window. */
  duplicate: boolean;
}

/** Completes an input into a full envelope: fills event_id and timestamp when absent. */
export function completeEvent(input: unknown): VumiApiEvent {
  const parsed = EventInput.safeParse(input);
  if (!parsed.success) throw validationError(parsed.error);
  // Checked once: what EventInput leaves out is filled with values of the envelope's own shape.
  return {
    ...parsed.data,
    event_id: parsed.data.event_id ?? newEventId(),
    timestamp: parsed.data.timestamp ?? new Date().toISOString(),
  };
}

function toHeaders(values: Record<string, string> | undefined): MsgHdrs | undefined {
  if (!values) return undefined;
  const hdrs = natsHeaders();
  for (const [key, value] of Object.entries(values)) hdrs.set(key, value);
  return hdrs;
}

/** Publishes an event for in-process sources and the HTTP API alike. */
export async function publishEvent(js: JetStreamClient, input: unknown, options: PublishOptions = {}): Promise<PublishedEvent> {
  const event = completeEvent(input);
  const subject = eventSubject(event);
  const ack = await js.publish(subject, JSON.stringify(event), {
    msgID: options.msgId ?? event.event_id,
    headers: toHeaders(options.headers),
  });
  return { event, subject, seq: ack.seq, duplicate: ack.duplicate };
}
