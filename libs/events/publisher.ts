import { headers as natsHeaders, type JetStreamClient, type MsgHdrs } from 'nats';
import { SwitchboardError, validationError } from '#libs/errors';
import { EventInput, type VumiApiEvent } from './envelope.js';
import { newEventId } from './eventId.js';
import { eventSubject } from './subject.js';

export interface PublishOptions {
  /**
   * What makes re-publishing idempotent, within the event's account: by default its event id. The
   * JetStream message id is `<account>:<this>`, so two accounts may use the same ids without
   * one's event being taken for a repeat of the other's (EVENTS is one stream for every account).
   */
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

/**
 * The envelope's JSON. What comes through the API and the bus is shape-checked before this, but
 * an in-process source is not: JSON.stringify recurses, and an envelope nested thousands of levels
 * deep overflows the stack, which is refused here as the caller's error rather than crashing it.
 */
function serialized(event: VumiApiEvent): string {
  try {
    return JSON.stringify(event);
  } catch (err) {
    if (err instanceof RangeError)
      throw new SwitchboardError(
        'validation_failed',
        `the event cannot be written as JSON (nested too deeply, or too large): ${err.message}`,
        undefined,
        { cause: err },
      );
    throw err;
  }
}

/** An event's JetStream message id: its dedupe key, scoped to its account. */
function eventMessageId(account: string, key: string): string {
  return `${account}:${key}`;
}

/** Publishes an event for in-process sources and the HTTP API alike. */
export async function publishEvent(js: JetStreamClient, input: unknown, options: PublishOptions = {}): Promise<PublishedEvent> {
  const event = completeEvent(input);
  const subject = eventSubject(event);
  const ack = await js.publish(subject, serialized(event), {
    msgID: eventMessageId(event.account_key, options.msgId ?? event.event_id),
    headers: toHeaders(options.headers),
  });
  return { event, subject, seq: ack.seq, duplicate: ack.duplicate };
}
