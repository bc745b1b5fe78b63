import { describe, expect, it } from 'vitest';
import { escalateUsersConfig } from '#handlers/escalate_users';
import { STREAMS } from '#libs/bus';
import { DeadLetterList, EscalationPage } from '../../apps/server/http/answers.js';
import { bodyOf, errorOf, issuesOf } from '../support/api.js';
import { useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { addresses, sampleWith, tutorialSample, watchEvents, type TutorialSample } from './support.js';

const sb = useSwitchboard();

const a = addresses('777');
const save = (config: unknown) =>
  sb.api.put('/v1/accounts/acme/routes/melt', { match: { event_type: 'server_down' }, steps: [{ handler: 'escalate_users', config }] });

function mutated(change: (config: TutorialSample) => void): TutorialSample {
  const config = sampleWith(a);
  change(config);
  return config;
}

describe('escalate_users config', () => {
  it("accepts the tutorial's sample.json exactly as published, placeholders and all", async () => {
    const res = await save(tutorialSample());
    expect(res.status).toBe(201);
  });

  it('accepts the lower-case form, contact users and expiry_time as a string', () => {
    const parsed = escalateUsersConfig({ maxRepeat: 10 }).parse({
      from: { sms: 'Company', viber: 'company-viber' },
      users: [
        {
          name: 'Ann',
          channels: [
            { type: 'viber', id_num: '447700900001', expiry_time: '60' },
            { type: 'sms', id_num: '447700900002' },
          ],
        },
        'c-some-contact',
        { contact: 'c-other', name: 'Bo' },
      ],
      repeat: 2,
    });
    expect(parsed.users).toHaveLength(3);
    expect(parsed.mode).toBe('messages');
    const [ann] = parsed.users;
    expect(typeof ann === 'object' && 'channels' in ann && ann.channels[0]!.expiry_time).toBe(60);
  });

  it.each([
    ['a user with one channel', (c: TutorialSample) => c.USERS[0]!.channels.splice(1), /user "Tony" has 1 channel: give at least two/],
    [
      'an unknown channel type',
      (c: TutorialSample) => (c.USERS[1]!.channels[0]!.type = 'pager'),
      /user "Michael", channel 1: unknown channel type "pager"/,
    ],
    [
      'an expiry below 15 s',
      (c: TutorialSample) => (c.USERS[0]!.channels[0]!.expiry_time = 5),
      /user "Tony", channel 1 \(messenger\): expiry_time 5 is out of range: 15 to 86400 seconds/,
    ],
    [
      'an expiry above a day',
      (c: TutorialSample) => (c.USERS[1]!.channels[1]!.expiry_time = '90000'),
      /user "Michael", channel 2 \(whatsapp\): expiry_time 90000 is out of range/,
    ],
    [
      'read on sms',
      (c: TutorialSample) => (c.USERS[0]!.channels[1]!.condition_status = 'read'),
      /user "Tony", channel 2 \(sms\): sms never reports read: use condition_status "delivered"/,
    ],
    [
      'no FROM for a channel type in use',
      (c: TutorialSample) => delete c.FROM.VIBER,
      /FROM has no sender for viber_service, which user "Michael", channel 1 \(viber_service\) uses/,
    ],
    ['no users', (c: TutorialSample) => (c.USERS = []), /no users: give at least one user/],
    ['a repeat over the maximum', (c: TutorialSample) => (c.repeat = 11), /at most 10 repeats/],
    ['an unknown mode', (c: TutorialSample) => (c.mode = 'pigeon'), /config\.mode: Invalid option/],
  ])('rejects %s with a 400 naming the user and channel', async (_name, change, message) => {
    const res = await save(mutated(change));
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe('validation_failed');
    expect(
      issuesOf(res)
        .map((issue) => `${issue.path}: ${issue.message}`)
        .join('\n'),
    ).toMatch(message);
    expect(issuesOf(res)[0]!.path).toMatch(/^steps\.0\.config\./);
  });

  /** Saves `config` on a route of a fresh account, publishes its trigger, and answers the escalation once ended with its outcome event. */
  async function routeStarted(config: unknown, eventData: Record<string, unknown> = {}) {
    const account = `v-${Math.random().toString(36).slice(2, 10)}`;
    const saved = await sb.api.put(`/v1/accounts/${account}/routes/melt`, {
      match: { event_type: 'server_down' },
      steps: [{ handler: 'escalate_users', config }],
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    const events = watchEvents(sb.bus, account);
    try {
      await sb.api.post(`/v1/accounts/${account}/events`, {
        conversation_type: 'monitor',
        conversation_key: 'main',
        event_type: 'server_down',
        event_data: eventData,
      });
      const outcome = await waitFor('escalation_failed', () => events.ofType('escalation_failed')[0]);
      const [esc] = bodyOf(await sb.api.get(`/v1/accounts/${account}/escalations`), EscalationPage).escalations;
      const letters = bodyOf(await sb.api.get(`/v1/accounts/${account}/deadletters`), DeadLetterList).deadletters;
      return { esc: esc!, outcome, letters };
    } finally {
      events.stop();
    }
  }

  it('fails the escalation clearly, on its record and in escalation_failed, for a contact user that does not exist', async () => {
    const { esc, outcome, letters } = await routeStarted({ from: { sms: 'Company' }, users: ['no-such-contact'] });
    expect(esc).toMatchObject({ status: 'failed', attempts: [] });
    expect(esc.failure?.reason).toMatch(/steps\.0\.config\.users\.0: contact "no-such-contact" does not exist/);
    expect(outcome.event_data).toMatchObject({ escalation_id: esc.id, reason: esc.failure?.reason });
    expect(letters).toEqual([]);
  });

  it.each([
    [
      'a channel type',
      { type: '{{event.event_data.kind}}', id_num: '447700900001' },
      { kind: 'pager' },
      'steps.0.config.users.0.channels.0.type',
      /unknown channel type "pager"/,
    ],
    [
      'an address',
      { type: 'sms', id_num: '{{event.event_data.phone}}' },
      { phone: 'call me maybe' },
      'steps.0.config.users.0.channels.0.id_num',
      /"call me maybe" is not a phone number for sms/,
    ],
  ])(
    'fails a route-started escalation whose template renders %s that is invalid, with the field on its record and in escalation_failed',
    async (_what, channel, eventData, path, message) => {
      const config = { from: { sms: 'Company' }, users: [{ name: 'Ann', channels: [channel, { type: 'sms', id_num: '447700900002' }] }] };
      const { esc, outcome, letters } = await routeStarted(config, eventData);
      expect(esc.status).toBe('failed');
      expect(esc.failure?.issues[0]?.path).toBe(path);
      expect(esc.failure?.issues[0]?.message).toMatch(message);
      expect(esc.failure?.reason).toMatch(message);
      expect(outcome.event_data).toMatchObject({ escalation_id: esc.id, reason: esc.failure?.reason, issues: esc.failure?.issues });
      expect(letters).toEqual([]);
    },
  );
});

describe('a direct escalation (POST …/escalations) with an invalid config', () => {
  const start = (users: unknown, account = 'acme') =>
    sb.api.post(`/v1/accounts/${account}/escalations`, { config: { from: { sms: 'Company' }, users } });

  it('leaves no trace on the bus: no escalation_requested event, no escalation', async () => {
    const account = 'refused-start';
    const res = await start(['nobody'], account);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(issuesOf(res)[0]!.path).toMatch(/^config\.users\.0/);
    const stored = await sb.bus.jsm.streams.info(STREAMS.events, { subjects_filter: `events.${account}.>` });
    expect(stored.state.subjects ?? {}).toEqual({});
    expect(bodyOf(await sb.api.get(`/v1/accounts/${account}/escalations`), EscalationPage).total).toBe(0);
  });

  it('answers 400 for a plan of more sends than one escalation may make, counting every round', async () => {
    const user = (n: number) => ({
      name: `U${n}`,
      channels: [
        { type: 'sms', id_num: `4477009${String(n).padStart(5, '0')}` },
        { type: 'sms', id_num: '447700900002' },
      ],
    });
    const users = Array.from({ length: 20 }, (_, n) => user(n));
    const res = await sb.api.post('/v1/accounts/acme/escalations', { config: { from: { sms: 'Company' }, users, repeat: 5 } });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(issuesOf(res)[0]).toEqual({
      path: 'config.users',
      message: expect.stringMatching(/^the plan sends 240 messages .*: at most 200 in one escalation$/),
    });
    // The same users once are within it.
    expect((await sb.api.post('/v1/accounts/acme/escalations', { config: { from: { sms: 'Company' }, users } })).status).toBe(201);
  });

  it.each([
    ['a contact id with a space', ['a b'], 'config.users.0'],
    ['a contact id with braces', ['{{x}}'], 'config.users.0'],
    [
      'a templated channel type',
      [
        {
          name: 'Ann',
          channels: [
            { type: '{{x}}', id_num: '447700900001' },
            { type: 'sms', id_num: '447700900002' },
          ],
        },
      ],
      'config.users.0.channels.0.type',
    ],
    [
      'an address that is no phone number',
      [
        {
          name: 'Ann',
          channels: [
            { type: 'sms', id_num: 'call me maybe' },
            { type: 'sms', id_num: '447700900002' },
          ],
        },
      ],
      'config.users.0.channels.0.id_num',
    ],
  ])('answers 400 with the path for %s', async (_what, users, path) => {
    const res = await start(users);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(errorOf(res).code).toBe('validation_failed');
    expect(issuesOf(res)[0]!.path).toBe(path);
  });
});
