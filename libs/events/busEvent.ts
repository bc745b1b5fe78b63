import { errorMessage } from '../errors/index.js';
import { VumiApiEvent } from './envelope.js';
import { eventSubject } from './subject.js';

export type BusEvent = { ok: true; event: VumiApiEvent } | { ok: false; raw: string; message: string };

const decoder = new TextDecoder();

/**
 * An event as read off the bus: a valid envelope, filed under its own subject. Bus permissions
 * check the subject (a source may publish only under its account), so an envelope naming another
 * account, conversation or event type than its subject is refused: it would reach another
 * account's routes and subscribers.
 */
export function readBusEvent(subject: string, data: Uint8Array): BusEvent {
  const raw = decoder.decode(data);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    return { ok: false, raw, message: `not JSON: ${errorMessage(err)}` };
  }
  const parsed = VumiApiEvent.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { ok: false, raw, message: `not a valid event envelope: ${first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'invalid'}` };
  }
  const filedAs = eventSubject(parsed.data);
  if (filedAs !== subject) return { ok: false, raw, message: `the envelope belongs under ${filedAs}, not ${subject}` };
  return { ok: true, event: parsed.data };
}
