import { describe, expect, it } from 'vitest';
import { broadcastId } from '#handlers/broadcast';
import { useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { addContacts, callHook, createHook, newAccount, watchAccount } from './support.js';
import { Broadcast, DeadLetterList, EscalationPage, EventAccepted } from '../../apps/server/http/answers.js';
import { bodyOf, issuesOf } from '../support/api.js';
import { consumersIdle } from '../support/settled.js';

// Expiries of 15 s pass in 150 ms; the default debounce (10 s) in 100 ms.
const sb = useSwitchboard({ env: { SWITCHBOARD_TIME_SCALE: '0.01' } });

describe('broadcast', () => {
  it("messages every contact of a launch's audience once, and reports its progress", async () => {
    const account = newAccount();
    const sim = sb.provider.simulator!;
    await addContacts(sb, account, [
      {
        id: 'pia',
        name: 'Pia',
        channels: [
          { type: 'sms', id_num: '447700910001' },
          { type: 'whatsapp', id_num: '447700910011' },
        ],
        variables: { team: 'ops' },
      },
      { id: 'paul', name: 'Paul', channels: [{ type: 'whatsapp', id_num: '447700910002' }], variables: { team: 'ops' } },
      { id: 'quinn', name: 'Quinn', channels: [{ type: 'messenger', id_num: 'quinn-psid' }], variables: { team: 'ops' } },
      { id: 'rae', name: 'Rae', channels: [{ type: 'whatsapp', id_num: '447700910004' }], variables: { team: 'sales' } },
    ]);
    // Paul's first send fails past the client's own retries: the step fails and the event is
    // retried, which must not message Pia a second time.
    sim.setScenario('447700910002', { outcome: 'delivered', fail_first: { count: 4, status: 500 } });
    const route = await sb.api.put(`/v1/accounts/${account}/routes/announce`, {
      match: { conversation_type: 'hook', event_type: 'hook_event' },
      steps: [
        {
          handler: 'broadcast',
          config: { channel: 'whatsapp', text: 'Hi {{contact.name}} ({{contact.variables.team}}): {{event.event_data.fields.message}}' },
        },
      ],
    });
    expect(route.status).toBe(201);
    const hook = await createHook(sb, account, {
      default_audience: { conditions: [{ field: 'team', criterion: 'Equals', value: 'ops' }] },
    });
    const watch = await watchAccount(sb.natsUrl, account);
    try {
      // A placeholder in the caller's data stays as written: event data is rendered once.
      expect((await callHook(sb.url!, hook.token, 'POST', { message: 'deploy at 5 {{contact.variables.team}}' })).status).toBe(200);
      const [event] = await watch.next('hook_event');
      expect(event!.event_data.audience).toEqual({ contact_ids: ['pia', 'paul', 'quinn'], count: 3 });

      const id = broadcastId(`${event!.event_id}:announce:0`);
      const done = await waitFor(
        'the broadcast to finish',
        async () => {
          const res = await sb.api.get(`/v1/accounts/${account}/broadcasts/${id}`);
          const broadcast = res.status === 200 && bodyOf(res, Broadcast);
          return broadcast && broadcast.status === 'done' && broadcast;
        },
        15_000,
      );
      expect(done).toMatchObject({
        id,
        account_key: account,
        event_id: event!.event_id,
        route_id: 'announce',
        step: 0,
        total: 3,
        sent: 2,
        failed: 1,
        run: 2,
      });
      expect(done.failures).toEqual([{ contact_id: 'quinn', reason: 'the contact has no whatsapp channel' }]);
      expect(done.finished_at).toBeDefined();

      const texts = (to: string) => sim.messages({ to }).map((message) => message.text);
      expect(texts('447700910011')).toEqual(['Hi Pia (ops): deploy at 5 {{contact.variables.team}}']);
      expect(texts('447700910002')).toEqual(['Hi Paul (ops): deploy at 5 {{contact.variables.team}}']);
      expect(texts('447700910001')).toEqual([]);
      expect(texts('quinn-psid')).toEqual([]);
      expect(texts('447700910004')).toEqual([]);
      expect(sim.messages({ to: '447700910011' })[0]!.channel).toBe('whatsapp');
      expect((await sb.api.get(`/v1/accounts/${account}/broadcasts/bc-nope`)).status).toBe(404);
    } finally {
      await watch.stop();
    }
  });

  it('is a step failure only when the contact list itself is wrong, not when a contact cannot be reached', async () => {
    const account = newAccount();
    await addContacts(sb, account, [{ id: 'solo', name: 'Solo', channels: [{ type: 'sms', id_num: '447700910021' }], variables: {} }]);
    await sb.api.put(`/v1/accounts/${account}/routes/r`, {
      match: { event_type: 'go' },
      steps: [
        { handler: 'broadcast', config: { contacts: ['solo', 'missing'], text: 'hello {{contact.name}}' } },
        { handler: 'log', config: {} },
      ],
    });
    const published = await sb.api.post(`/v1/accounts/${account}/events`, {
      conversation_type: 'test',
      conversation_key: 'k',
      event_type: 'go',
      event_data: {},
    });
    const id = broadcastId(`${bodyOf(published, EventAccepted).event_id}:r:0`);
    const done = await waitFor('the broadcast', async () => {
      const broadcast = bodyOf(await sb.api.get(`/v1/accounts/${account}/broadcasts/${id}`), Broadcast);
      return broadcast.status === 'done' && broadcast;
    });
    expect(done).toMatchObject({ total: 2, sent: 1, failed: 1, run: 1, failures: [{ contact_id: 'missing', reason: 'no such contact' }] });
    expect(sb.provider.simulator!.messages({ to: '447700910021' }).map((message) => message.text)).toEqual(['hello Solo']);
    await consumersIdle(sb.bus);
    expect(bodyOf(await sb.api.get(`/v1/accounts/${account}/deadletters`), DeadLetterList).deadletters).toEqual([]);
  });

  it('refuses a config that is not a list of contacts', async () => {
    const res = await sb.api.put(`/v1/accounts/${newAccount()}/routes/r`, {
      match: {},
      steps: [{ handler: 'broadcast', config: { contacts: 'c-1', text: 'x' } }],
    });
    expect(res.status).toBe(400);
    expect(issuesOf(res)[0]!.path).toBe('steps.0.config.contacts');
  });
});

describe('escalating to an audience', () => {
  it('escalates to the contacts a hook selects, in order, each on their channels', async () => {
    const account = newAccount();
    const sim = sb.provider.simulator!;
    await addContacts(sb, account, [
      {
        id: 'alice',
        name: 'Alice',
        channels: [
          { type: 'whatsapp', id_num: '447700920001' },
          { type: 'sms', id_num: '447700920002' },
        ],
        variables: { role: 'oncall' },
      },
      {
        id: 'carl',
        name: 'Carl',
        channels: [
          { type: 'whatsapp', id_num: '447700920005' },
          { type: 'sms', id_num: '447700920006' },
        ],
        variables: { role: 'sales' },
      },
      {
        id: 'ben',
        name: 'Ben',
        channels: [
          { type: 'whatsapp', id_num: '447700920003' },
          { type: 'sms', id_num: '447700920004' },
        ],
        variables: { role: 'oncall' },
      },
    ]);
    sim.setScenario('447700920001', { outcome: 'silent' });
    sim.setScenario('447700920002', { outcome: 'silent' });
    sim.setScenario('447700920003', { outcome: 'read', read_after_ms: 10 });
    await sb.api.put(`/v1/accounts/${account}/routes/page-oncall`, {
      match: { conversation_type: 'hook', event_type: 'hook_event' },
      steps: [
        {
          handler: 'escalate_users',
          config: {
            users: '{{event.event_data.audience.contact_ids}}',
            text: '[{{user.name}}] {{event.event_data.fields.message}}',
            failover: { expiry_time: 15 },
            final_expiry: 15,
          },
        },
      ],
    });
    const hook = await createHook(sb, account);
    const watch = await watchAccount(sb.natsUrl, account);
    try {
      const call = await callHook(sb.url!, hook.token, 'GET', {
        audience_filters: 'role',
        audience_criteria: 'Equals',
        audience_values: 'oncall',
        message: 'db down',
      });
      expect(call.status).toBe(200);
      const [read] = await watch.next('escalation_read', 1, 15_000);
      expect(read!.event_data).toMatchObject({ user: 'Ben', channel: 'whatsapp', status: 'read' });
      const attempts = (read!.event_data.attempts as Array<{ user: string; channel: string }>).map(
        (attempt) => `${attempt.user}/${attempt.channel}`,
      );
      expect(attempts).toEqual(['Alice/whatsapp', 'Alice/sms', 'Ben/whatsapp']);

      const [escalation] = bodyOf(await sb.api.get(`/v1/accounts/${account}/escalations`), EscalationPage).escalations;
      expect(escalation!.plan.users.map((user) => user.contact_id)).toEqual(['alice', 'ben']);
      expect(sim.messages({ to: '447700920001' }).map((message) => message.text)).toEqual(['[Alice] db down']);
      expect(sim.messages({ to: '447700920003' }).map((message) => message.text)).toEqual(['[Ben] db down']);
      expect(sim.messages({ to: '447700920004' })).toHaveLength(0);
      expect(sim.messages({ to: '447700920005' })).toHaveLength(0);
      expect(sim.messages({ to: '447700920006' })).toHaveLength(0);
    } finally {
      await watch.stop();
    }
  });
});
