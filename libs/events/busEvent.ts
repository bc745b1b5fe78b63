import { DEFAULT_JSON_SHAPE, parseShapedJson, type JsonShapeLimits } from '#libs/jsonShape';
import { VumiApiEvent } from './envelope.js';
import { eventSubject } from './subject.js';

export type BusEvent = { ok: true; event: VumiApiEvent } | { ok: false; raw: string; message: string };

const decoder = new TextDecoder();

/**
 * An event as read off the bus: a valid envelope, filed under its own subject. Bus permissions
 * check the subject (a source may publish only under its account), so an envelope naming another
 * account, conversation or event type than its subject is refused: it would reach another
 * account's routes and subscribers. A source on the bus skips the API's checks, so the envelope's
 * shape is checked here too, before anything walks it (JSON.stringify among them).
 */
export function readBusEvent(subject: string, data: Uint8Array, shape: JsonShapeLimits = DEFAULT_JSON_SHAPE): BusEvent {
  const raw = decoder.decode(data);
  const json = parseShapedJson(raw, shape);
  if (!json.ok) {
    return {
      ok: false,
      raw,
      message:
        json.problem === 'syntax' ? `not JSON: ${json.message}` : `not a valid event envelope: ${json.issue.path}: ${json.issue.message}`,
    };
  }
  const parsed = VumiApiEvent.safeParse(json.value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return {
      ok: false,
      raw,
      message: `not a valid event envelope: ${first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'invalid'}`,
    };
  }
  const filedAs = eventSubject(parsed.data);
  if (filedAs !== subject) return { ok: false, raw, message: `the envelope belongs under ${filedAs}, not ${subject}` };
  return { ok: true, event: parsed.data };
}
