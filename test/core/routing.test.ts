import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { lastBySubject, STREAMS } from '#libs/bus';
import {
  Contact,
  ContactList,
  DeadLetterList,
  EventAccepted,
  HandlerCatalogue,
  MessageView,
  Route,
  RouteList,
  UnroutedList,
} from '../../apps/server/http/answers.js';
import { useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { bodyOf, errorOf, issuesOf } from '../support/api.js';
import { consumersIdle } from '../support/settled.js';

const sb = useSwitchboard();

/** A fresh account per test keeps routes and records apart. */
const account = () => `acct-${randomUUID().slice(0, 8)}`;

const sms = (id_num: string, text: string) => ({ handler: 'send_message', config: { to: { type: 'sms', id_num }, text } });

function publish(acct: string, eventType: string, data: Record<string, unknown> = {}, conversation = { type: 'poll', key: 'ops-poll' }) {
  return sb.api.post(`/v1/accounts/${acct}/events`, {
    conversation_type: conversation.type,
    conversation_key: conversation.key,
    event_type: eventType,
    event_data: data,
  });
}

const textsTo = (to: string) => sb.provider.simulator!.messages({ to }).map((message) => message.text);

describe('routes over HTTP', () => {
  it('creates, reads, lists, replaces and deletes a route', async () => {
    const acct = account();
    const route = { match: { event_type: 'ping' }, steps: [{ handler: 'log', config: {} }] };
    const created = await sb.api.put(`/v1/accounts/${acct}/routes/r1`, route);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'r1',
      account_key: acct,
      enabled: true,
      match: { conversation_type: '*', event_type: 'ping' },
    });

    const replaced = await sb.api.put(`/v1/accounts/${acct}/routes/r1`, { ...route, enabled: false });
    expect(replaced.status).toBe(200);
    expect(bodyOf(replaced, Route).created_at).toBe(bodyOf(created, Route).created_at);
    expect(bodyOf(await sb.api.get(`/v1/accounts/${acct}/routes/r1`), Route).enabled).toBe(false);
    expect(bodyOf(await sb.api.get(`/v1/accounts/${acct}/routes`), RouteList).routes.map((r) => r.id)).toEqual(['r1']);

    expect((await sb.api.delete(`/v1/accounts/${acct}/routes/r1`)).status).toBe(204);
    expect((await sb.api.get(`/v1/accounts/${acct}/routes/r1`)).status).toBe(404);
    expect(errorOf(await sb.api.delete(`/v1/accounts/${acct}/routes/r1`)).code).toBe('not_found');
  });

  it.each([
    [
      'an unknown handler type',
      { match: {}, steps: [{ handler: 'teleport', config: {} }] },
      'steps.0.handler',
      /unknown handler "teleport"/,
    ],
    ['a bad step config', { match: {}, steps: [{ handler: 'log', config: { level: 'loud' } }] }, 'steps.0.config.level', /./],
    [
      'a config field of the wrong type',
      { match: {}, steps: [sms('447700900123', 'x'), { handler: 'send_message', config: { text: 5, contact: 'c' } }] },
      'steps.1.config.text',
      /./,
    ],
    [
      'send_message without a recipient',
      { match: {}, steps: [{ handler: 'send_message', config: { text: 'hi' } }] },
      'steps.0.config.contact',
      /exactly one/,
    ],
    [
      'an unknown channel type',
      { match: {}, steps: [{ handler: 'create_contact', config: { channels: [{ type: 'pager', id_num: '1' }] } }] },
      'steps.0.config.channels.0.type',
      /unknown channel type "pager"/,
    ],
    ['no steps', { match: {}, steps: [] }, 'steps', /at least one step/],
    ['a match token with a dot', { match: { event_type: 'a.b' }, steps: [{ handler: 'log' }] }, 'match.event_type', /./],
    [
      'a where key outside event_data',
      { match: { where: { status: 'down' } }, steps: [{ handler: 'log' }] },
      'match.where.status',
      /event_data/,
    ],
    ['an id that differs from the URL', { id: 'other', match: {}, steps: [{ handler: 'log' }] }, 'id', /must match/],
  ])('rejects %s with a 400 naming the field', async (_name, body, path, message) => {
    const res = await sb.api.put(`/v1/accounts/${account()}/routes/bad`, body);
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe('validation_failed');
    const issue = issuesOf(res).find((one) => one.path === path);
    expect(issue, JSON.stringify(issuesOf(res))).toBeDefined();
    expect(issue!.message).toMatch(message);
  });

  it('accepts templated fields and checks them once rendered', async () => {
    const acct = account();
    const res = await sb.api.put(`/v1/accounts/${acct}/routes/templated`, {
      match: { event_type: 'signup' },
      steps: [
        {
          handler: 'create_contact',
          config: { channels: [{ type: '{{event.event_data.channel}}', id_num: '{{event.event_data.address}}' }] },
        },
      ],
    });
    expect(res.status).toBe(201);
    await publish(acct, 'signup', { channel: 'whatsapp', address: '447700900555' });
    const contacts = await waitFor('the contact', async () => {
      const list = bodyOf(await sb.api.get(`/v1/accounts/${acct}/contacts`), ContactList).contacts;
      return list.length > 0 && list;
    });
    expect(contacts[0]!.channels).toEqual([{ type: 'whatsapp', id_num: '447700900555' }]);

    // Rendered to a bad channel type: the step fails for good (no retries) and is dead-lettered.
    await publish(acct, 'signup', { channel: 'pager', address: '1' });
    const letters = await waitFor('the dead letter', async () => {
      const list = bodyOf(await sb.api.get(`/v1/accounts/${acct}/deadletters`), DeadLetterList).deadletters;
      return list.length > 0 && list;
    });
    expect(letters[0]).toMatchObject({ reason: 'handler_failed', route_id: 'templated', step: 0, attempts: 1 });
    expect(letters[0]!.error.message).toMatch(/steps\.0\.config\.channels\.0\.type: unknown channel type "pager"/);
  });

  it('lists the handler catalogue with each config schema', async () => {
    const { handlers } = bodyOf(await sb.api.get('/v1/handlers'), HandlerCatalogue);
    expect(handlers.map((handler) => handler.type)).toEqual(
      expect.arrayContaining(['log', 'create_contact', 'send_message', 'emit_event']),
    );
    const send = handlers.find((handler) => handler.type === 'send_message');
    const TextProperty = z.object({ properties: z.object({ text: z.object({ type: z.string() }) }) });
    expect(TextProperty.parse(send?.config_schema).properties.text.type).toBe('string');
  });
});

describe('dispatching', () => {
  it('applies a saved, changed or deleted route to the next event, without a restart', async () => {
    const acct = account();
    await sb.api.put(`/v1/accounts/${acct}/routes/live`, { match: { event_type: 'ping' }, steps: [sms('447700900201', 'first version')] });
    await publish(acct, 'ping');
    await waitFor('first version', () => textsTo('447700900201').includes('first version'));

    await sb.api.put(`/v1/accounts/${acct}/routes/live`, { match: { event_type: 'ping' }, steps: [sms('447700900201', 'second version')] });
    await publish(acct, 'ping');
    await waitFor('second version', () => textsTo('447700900201').includes('second version'));

    await sb.api.delete(`/v1/accounts/${acct}/routes/live`);
    const gone = await publish(acct, 'ping');
    const unrouted = await waitFor('the unrouted record', async () => {
      const list = bodyOf(await sb.api.get(`/v1/accounts/${acct}/events/unrouted`), UnroutedList).unrouted;
      return list.some((one) => one.event.event_id === bodyOf(gone, EventAccepted).event_id) && list;
    });
    expect(unrouted).toHaveLength(1);
    expect(textsTo('447700900201')).toEqual(['first version', 'second version']);
  });

  it('records unrouted events in batches: each listed once, the newest first, up to the limit', async () => {
    const acct = account();
    type Listed = Array<{ event: { event_id: string } }>;
    const list = async (limit: number): Promise<Listed> =>
      bodyOf(await sb.api.get(`/v1/accounts/${acct}/events/unrouted?limit=${limit}`), UnroutedList).unrouted;
    const ids = (listed: Listed) => listed.map((one) => one.event.event_id);

    const inOrder: string[] = [];
    for (let i = 0; i < 10; i++) inOrder.push(bodyOf(await publish(acct, 'nobody-listens', { i }), EventAccepted).event_id);
    await waitFor('the first 10 recorded', async () => (await list(50)).length === 10);
    expect(ids(await list(50))).toEqual([...inOrder].reverse());
    expect(ids(await list(3))).toEqual(inOrder.slice(-3).reverse());

    const atOnce = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => bodyOf(await publish(acct, 'nobody-listens', { i }), EventAccepted).event_id),
    );
    const listed = await waitFor('all 40 recorded', async () => ((await list(100)).length === 40 ? list(100) : undefined));
    expect(new Set(ids(listed))).toEqual(new Set([...inOrder, ...atOnce]));
    // Events that reached the dispatcher together were stored together.
    const stored = await sb.bus.jsm.streams.info(STREAMS.unrouted, { subjects_filter: `unrouted.${acct}.>` });
    expect(stored.state.subjects?.[`unrouted.${acct}.events`]).toBeLessThan(40);
  });

  it('runs every matching route (fan-out), and only those', async () => {
    const acct = account();
    await sb.api.put(`/v1/accounts/${acct}/routes/a-any`, {
      match: { event_type: '*' },
      steps: [sms('447700900301', 'any {{event.event_type}}')],
    });
    await sb.api.put(`/v1/accounts/${acct}/routes/b-exact`, {
      match: { conversation_type: 'poll', conversation_key: 'ops-poll', event_type: 'poll_complete' },
      steps: [sms('447700900302', 'exact')],
    });
    await sb.api.put(`/v1/accounts/${acct}/routes/c-down`, {
      match: { event_type: 'poll_complete', where: { 'event_data.status': ['down', 'degraded'], 'event_data.region.name': 'eu' } },
      steps: [sms('447700900303', 'down in {{event.event_data.region.name}}')],
    });
    await sb.api.put(`/v1/accounts/${acct}/routes/d-other-conversation`, {
      match: { conversation_key: 'other-poll' },
      steps: [sms('447700900304', 'other')],
    });
    await sb.api.put(`/v1/accounts/${acct}/routes/e-disabled`, { enabled: false, match: {}, steps: [sms('447700900305', 'disabled')] });

    await publish(acct, 'poll_complete', { status: 'down', region: { name: 'eu' } });
    await publish(acct, 'poll_complete', { status: 'up', region: { name: 'eu' } });
    await waitFor(
      'fan-out',
      () => textsTo('447700900301').length === 2 && textsTo('447700900302').length === 2 && textsTo('447700900303').length === 1,
    );
    await consumersIdle(sb.bus);
    expect(textsTo('447700900301')).toEqual(['any poll_complete', 'any poll_complete']);
    expect(textsTo('447700900303')).toEqual(['down in eu']);
    expect(textsTo('447700900304')).toEqual([]);
    expect(textsTo('447700900305')).toEqual([]);
  });

  it('passes each step the outputs of the earlier ones', async () => {
    const acct = account();
    await sb.api.put(`/v1/accounts/${acct}/routes/chain`, {
      match: { event_type: 'poll_complete' },
      steps: [
        {
          handler: 'create_contact',
          name: 'contact',
          config: {
            name: '{{event.event_data.name}}',
            channels: [{ type: 'sms', id_num: '{{event.event_data.msisdn}}' }],
            variables: { plan: '{{event.event_data.plan}}' },
          },
        },
        {
          handler: 'send_message',
          config: {
            contact: '{{steps.0.output.contact_id}}',
            text: 'Thanks {{steps.contact.output.name}}, plan {{steps.0.output.variables.plan}}',
          },
        },
        { handler: 'send_message', config: { to: { type: 'sms', id_num: '447700900402' }, text: 'sent {{steps.1.output.message_uuid}}' } },
      ],
    });
    await publish(acct, 'poll_complete', { name: 'Ann', msisdn: '+44 7700 900401', plan: 'gold' });
    await waitFor('both messages', () => textsTo('447700900401').length === 1 && textsTo('447700900402').length === 1);
    expect(textsTo('447700900401')).toEqual(['Thanks Ann, plan gold']);
    const first = sb.provider.simulator!.messages({ to: '447700900401' })[0]!;
    expect(textsTo('447700900402')).toEqual([`sent ${first.message_uuid}`]);

    const contacts = bodyOf(await sb.api.get(`/v1/accounts/${acct}/contacts`), ContactList).contacts;
    expect(contacts).toHaveLength(1);
    expect(contacts[0]).toMatchObject({ name: 'Ann', channels: [{ type: 'sms', id_num: '447700900401' }], variables: { plan: 'gold' } });
    const one = await sb.api.get(`/v1/accounts/${acct}/contacts/${contacts[0]!.id}`);
    expect(bodyOf(one, Contact).id).toBe(contacts[0]!.id);
    expect((await sb.api.get(`/v1/accounts/${acct}/contacts/nobody`)).status).toBe(404);

    // The message timeline, from the simulator's status webhooks.
    const timeline = await waitFor('delivered receipt', async () => {
      const res = await sb.api.get(`/v1/accounts/${acct}/messages/${first.message_uuid}`);
      const message = res.status === 200 && bodyOf(res, MessageView);
      return message && message.statuses.some((s) => s.status === 'delivered') && message;
    });
    expect(timeline).toMatchObject({ channel: 'sms', to: '447700900401', text: 'Thanks Ann, plan gold' });
    expect(timeline.statuses.map((s) => s.status)).toEqual(['submitted', 'delivered']);
    // `submitted` is kept for the timeline on RECEIPTS, which no worker consumes; the rest on PROVIDER.
    const filed = `${acct}.${first.message_uuid}`;
    expect(await lastBySubject(sb.bus, STREAMS.receipts, `receipts.status.${filed}.submitted`)).toBeDefined();
    expect(await lastBySubject(sb.bus, STREAMS.provider, `provider.status.${filed}.submitted`)).toBeUndefined();
    expect(await lastBySubject(sb.bus, STREAMS.provider, `provider.status.${filed}.delivered`)).toBeDefined();
  });

  it('upserts a contact on its channel address instead of creating a second one', async () => {
    const acct = account();
    await sb.api.put(`/v1/accounts/${acct}/routes/upsert`, {
      match: { event_type: 'seen' },
      steps: [
        {
          handler: 'create_contact',
          config: {
            name: '{{event.event_data.name}}',
            channels: [{ type: 'sms', id_num: '{{event.event_data.msisdn}}' }],
            variables: { last: '{{event.event_data.n}}' },
          },
        },
      ],
    });
    await publish(acct, 'seen', { name: 'Bo', msisdn: '447700900501', n: 1 });
    await waitFor('contact', async () => bodyOf(await sb.api.get(`/v1/accounts/${acct}/contacts`), ContactList).contacts.length === 1);
    await publish(acct, 'seen', { name: 'Bob', msisdn: '447700900501', n: 2 });
    const contact = await waitFor('update', async () => {
      const [one] = bodyOf(await sb.api.get(`/v1/accounts/${acct}/contacts`), ContactList).contacts;
      return one?.variables.last === 2 && one;
    });
    expect(contact.name).toBe('Bob');
    expect(bodyOf(await sb.api.get(`/v1/accounts/${acct}/contacts`), ContactList).contacts).toHaveLength(1);
  });

  it('routes emitted events like any other, with their cause, and dead-letters a chain past the depth cap', async () => {
    const acct = account();
    await sb.api.put(`/v1/accounts/${acct}/routes/relay`, {
      match: { event_type: 'poll_complete' },
      steps: [{ handler: 'emit_event', config: { event_type: 'thanked', event_data: { who: '{{event.event_data.name}}' } } }],
    });
    await sb.api.put(`/v1/accounts/${acct}/routes/on-thanked`, {
      match: { event_type: 'thanked' },
      steps: [sms('447700900601', 'thanked {{event.event_data.who}} (depth {{event.cause.depth}}, root {{event.cause.root_event_id}})')],
    });
    const root = await publish(acct, 'poll_complete', { name: 'Cy' });
    await waitFor('chained message', () => textsTo('447700900601').length === 1);
    expect(textsTo('447700900601')).toEqual([`thanked Cy (depth 1, root ${bodyOf(root, EventAccepted).event_id})`]);

    // A route that re-emits its own event type, templated so that saving it cannot tell: a loop the depth cap must end.
    await sb.api.put(`/v1/accounts/${acct}/routes/loop`, {
      match: { event_type: 'echo' },
      steps: [{ handler: 'emit_event', config: { event_type: '{{event.event_type}}', event_data: { depth: '{{event.cause.depth}}' } } }],
    });
    await publish(acct, 'echo');
    const letter = await waitFor('the depth dead letter', async () => {
      const list = bodyOf(await sb.api.get(`/v1/accounts/${acct}/deadletters`), DeadLetterList).deadletters;
      return list.find((one) => one.reason === 'depth_exceeded');
    });
    expect(letter.event?.cause?.depth).toBe(9);
    expect(letter.error.message).toMatch(/deeper than 8/);
    await consumersIdle(sb.bus);
    const letters = bodyOf(await sb.api.get(`/v1/accounts/${acct}/deadletters`), DeadLetterList).deadletters;
    expect(letters).toHaveLength(1);
  });
});
