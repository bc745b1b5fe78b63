import { describe, expect, it } from 'vitest';
import { readBusEvent } from './busEvent.js';

const encoder = new TextEncoder();
const subject = 'events.acme.poll.p1.done';

function envelope(eventData: string): Uint8Array {
  return encoder.encode(
    `{"event_id":"e1","account_key":"acme","conversation_type":"poll","conversation_key":"p1","event_type":"done","timestamp":"2026-01-01T00:00:00Z","event_data":${eventData}}`,
  );
}

describe('an event read off the bus', () => {
  it('is taken within the shape limits', () => {
    expect(readBusEvent(subject, envelope('{"a":{"b":[1]}}')).ok).toBe(true);
  });

  it('is refused, naming the place, when nested past the limit, however deep', () => {
    const deep = readBusEvent(subject, envelope(`${'['.repeat(100_000)}${']'.repeat(100_000)}`));
    expect(deep).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^not a valid event envelope: event_data\.0\.0.*: nested more than 32 levels/),
    });
    expect(readBusEvent(subject, envelope('{"a":{"b":{}}}'), { maxDepth: 3, maxEntries: 10 })).toMatchObject({
      ok: false,
      message: expect.stringContaining('event_data.a.b'),
    });
  });

  it('is refused with too many keys in one object, or a prototype key', () => {
    const wide = `{${Array.from({ length: 11 }, (_, i) => `"k${i}":${i}`).join(',')}}`;
    expect(readBusEvent(subject, envelope(wide), { maxDepth: 32, maxEntries: 10 })).toMatchObject({
      ok: false,
      message: expect.stringContaining('event_data: more than 10 keys'),
    });
    expect(readBusEvent(subject, envelope('{"__proto__":{"admin":true}}'))).toMatchObject({
      ok: false,
      message: expect.stringContaining('event_data.__proto__'),
    });
  });
});
