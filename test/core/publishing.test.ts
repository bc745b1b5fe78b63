import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { STREAMS } from '#libs/bus';
import { publishEvent } from '#libs/events';
import { useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { bodyOf, errorOf, issuesOf } from '../support/api.js';
import { EventAccepted } from '../../apps/server/http/answers.js';
import { consumersIdle } from '../support/settled.js';

const sb = useSwitchboard({ env: { SWITCHBOARD_BODY_LIMIT_BYTES: '16384' } });

const event = (data: Record<string, unknown> = {}) => ({
  conversation_type: 'poll',
  conversation_key: 'ops-poll',
  event_type: 'poll_complete',
  event_data: data,
});

describe('publishing events', () => {
  it('fills event_id and timestamp, and answers where the event went', async () => {
    const res = await sb.api.post('/v1/accounts/acme/events', event({ answer: 'yes' }));
    expect(res.status).toBe(202);
    expect(bodyOf(res, EventAccepted).event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(bodyOf(res, EventAccepted).timestamp).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(bodyOf(res, EventAccepted).subject).toBe('events.acme.poll.ops-poll.poll_complete');
    expect(bodyOf(res, EventAccepted).duplicate).toBe(false);
  });

  it('keeps event ids to their account: the same id in two accounts is stored and routed in both', async () => {
    for (const account of ['order-alpha', 'order-beta']) {
      const to = account === 'order-alpha' ? '447700900061' : '447700900062';
      await sb.api.put(`/v1/accounts/${account}/routes/thank`, {
        match: { event_type: 'poll_complete' },
        steps: [{ handler: 'send_message', config: { to: { type: 'sms', id_num: to }, text: account } }],
      });
    }
    const first = await sb.api.post('/v1/accounts/order-alpha/events', { ...event(), event_id: 'order-1' });
    const second = await sb.api.post('/v1/accounts/order-beta/events', { ...event(), event_id: 'order-1' });
    expect([first.status, second.status]).toEqual([202, 202]);
    expect([bodyOf(first, EventAccepted).duplicate, bodyOf(second, EventAccepted).duplicate]).toEqual([false, false]);
    expect(bodyOf(second, EventAccepted).seq).not.toBe(bodyOf(first, EventAccepted).seq);
    // Both routed: each account's route messages its own recipient.
    await waitFor('both messages', () =>
      ['447700900061', '447700900062'].every((to) => sb.provider.simulator!.messages({ to }).length === 1),
    );
    // Within one account the id still means once.
    expect(bodyOf(await sb.api.post('/v1/accounts/order-beta/events', { ...event(), event_id: 'order-1' }), EventAccepted).duplicate).toBe(
      true,
    );
  });

  it('stores and handles an event published twice only once', async () => {
    await sb.api.put('/v1/accounts/dedupe/routes/thank', {
      match: { event_type: 'poll_complete' },
      steps: [{ handler: 'send_message', config: { to: { type: 'sms', id_num: '447700900001' }, text: 'once' } }],
    });
    const eventId = `evt-${randomUUID()}`;
    const first = await sb.api.post('/v1/accounts/dedupe/events', { ...event(), event_id: eventId });
    const again = await sb.api.post('/v1/accounts/dedupe/events', { ...event(), event_id: eventId });
    expect(bodyOf(first, EventAccepted).duplicate).toBe(false);
    expect(bodyOf(again, EventAccepted).duplicate).toBe(true);
    expect(bodyOf(again, EventAccepted).seq).toBe(bodyOf(first, EventAccepted).seq);

    await waitFor('the message', () => sb.provider.simulator!.messages({ to: '447700900001' }).length > 0);
    await consumersIdle(sb.bus);
    expect(sb.provider.simulator!.messages({ to: '447700900001' })).toHaveLength(1);
    const stored = await sb.bus.jsm.streams.info(STREAMS.events, { subjects_filter: 'events.dedupe.>' });
    expect(Object.values(stored.state.subjects ?? {}).reduce((sum, count) => sum + count, 0)).toBe(1);
  });

  it('publishes from in-process sources through the library, with the same validation', async () => {
    const published = await publishEvent(sb.bus.js, { account_key: 'acme', ...event({ from: 'library' }) });
    expect(published.subject).toBe('events.acme.poll.ops-poll.poll_complete');
    await expect(publishEvent(sb.bus.js, { account_key: 'ac.me', ...event() })).rejects.toThrow(/account_key/);
  });
});

describe('bad input gets a 4xx naming the field', () => {
  it.each([
    ['malformed JSON', '{"conversation_type": "poll",', 400, 'invalid_json', undefined],
    ['a JSON array', '[1,2]', 400, 'validation_failed', undefined],
    ['a wrong type', { ...event(), event_data: 'text' }, 400, 'validation_failed', 'event_data'],
    ['a missing field', { conversation_type: 'poll', conversation_key: 'k' }, 400, 'validation_failed', 'event_type'],
    ['a token with a dot', { ...event(), event_type: 'poll.complete' }, 400, 'validation_failed', 'event_type'],
    ['a token with a wildcard', { ...event(), conversation_key: '*' }, 400, 'validation_failed', 'conversation_key'],
    ['a token with a space', { ...event(), conversation_type: 'my poll' }, 400, 'validation_failed', 'conversation_type'],
    ['a bad timestamp', { ...event(), timestamp: 'yesterday' }, 400, 'validation_failed', 'timestamp'],
    ['an account that differs from the URL', { ...event(), account_key: 'other' }, 400, 'validation_failed', 'account_key'],
  ])('%s', async (_name, body, status, code, field) => {
    const res = await sb.api.post('/v1/accounts/acme/events', body);
    expect(res.status).toBe(status);
    expect(errorOf(res).code).toBe(code);
    expect(typeof errorOf(res).message).toBe('string');
    if (field) expect(issuesOf(res).map((issue: { path: string }) => issue.path)).toContain(field);
  });

  it('an account in the URL that is not a token', async () => {
    const res = await sb.api.post('/v1/accounts/ac%20me/events', event());
    expect(res.status).toBe(400);
    expect(issuesOf(res)[0]!.path).toBe('account');
  });

  it('a body over the size limit is a 413', async () => {
    const res = await sb.api.post('/v1/accounts/acme/events', event({ blob: 'x'.repeat(20_000) }));
    expect(res.status).toBe(413);
    expect(errorOf(res)).toMatchObject({ code: 'payload_too_large', details: { limit_bytes: 16384 } });
  });

  it('a body that is not JSON is a 415', async () => {
    const res = await sb.api.post('/v1/accounts/acme/events', 'a=b', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(415);
    expect(errorOf(res).code).toBe('unsupported_media_type');
  });

  it('an unknown endpoint is a 404 in the same format', async () => {
    const res = await sb.api.get('/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(errorOf(res).code).toBe('not_found');
  });
});

/** Random JSON-ish values, biased toward the shapes the endpoint expects. */
function randomValue(depth = 0): unknown {
  const pick = Math.floor(Math.random() * 9);
  const tokens = ['poll', 'a.b', '*', '', ' ', 'x'.repeat(70), 'ok_1', '\u0000', '{{event}}', '__proto__'];
  switch (pick) {
    case 0:
      return null;
    case 1:
      return Math.random() * 1e12 - 5e11;
    case 2:
      return Math.random() < 0.5;
    case 3:
      return tokens[Math.floor(Math.random() * tokens.length)];
    case 4:
      return randomUUID();
    case 5:
      return depth < 3 ? Array.from({ length: Math.floor(Math.random() * 4) }, () => randomValue(depth + 1)) : [];
    default: {
      if (depth >= 3) return {};
      const keys = [
        'conversation_type',
        'conversation_key',
        'event_type',
        'event_data',
        'event_id',
        'timestamp',
        'cause',
        'account_key',
        '__proto__',
        'constructor',
      ];
      return Object.fromEntries(keys.filter(() => Math.random() < 0.6).map((key) => [key, randomValue(depth + 1)]));
    }
  }
}

describe('fuzzing the events endpoint', () => {
  it('answers thousands of random bodies without a 5xx and keeps serving', async () => {
    const statuses = new Map<number, number>();
    const bodies = Array.from({ length: 3000 }, () => {
      const value = randomValue();
      const text = JSON.stringify(value) ?? 'null';
      // Some bodies are cut short, so the parser sees broken JSON too.
      return Math.random() < 0.15 ? text.slice(0, Math.floor(text.length / 2)) : text;
    });
    for (let i = 0; i < bodies.length; i += 50) {
      const batch = bodies.slice(i, i + 50).map((body) => sb.api.post('/v1/accounts/fuzz/events', body));
      for (const res of await Promise.all(batch)) statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
    const serverErrors = [...statuses].filter(([status]) => status >= 500);
    expect(serverErrors).toEqual([]);
    expect([...statuses.keys()].every((status) => status === 202 || status === 400)).toBe(true);
    const health = await sb.api.get('/healthz');
    expect(health.status).toBe(200);
    const after = await sb.api.post('/v1/accounts/acme/events', event());
    expect(after.status).toBe(202);
  });
});
