import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AccountLimitsView,
  ContactList,
  DeadLetterList,
  DeliveryList,
  EscalationPage,
  EscalationView,
  EventAccepted,
  HookCalled,
  HookCreated,
  HookList,
  HookView,
  LaunchUrls,
  LimitsList,
  MessageView,
  Readiness,
  Replayed,
  RevokedList,
  Route,
  RouteList,
  StoredDeadLetter,
  SubscriptionList,
  SubscriptionView,
  UnroutedList,
} from '../../apps/server/http/answers.js';
import { bodyOf, errorOf } from '../support/api.js';
import { useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';

const sb = useSwitchboard({ env: { SWITCHBOARD_TIME_SCALE: '0.001' } });

const account = () => `answers-${randomUUID().slice(0, 8)}`;
const event = (event_type: string, event_data: Record<string, unknown> = {}) => ({
  conversation_type: 'ops',
  conversation_key: 'k',
  event_type,
  event_data,
});

// Each endpoint's answer read with the schema clients read it with: a field renamed, dropped or
// retyped on one side only fails here.
describe("every answer fits its endpoint's schema", () => {
  it('events, unrouted events, routes, dead letters and their replay', async () => {
    const acct = account();
    const accepted = bodyOf(await sb.api.post(`/v1/accounts/${acct}/events`, event('nobody_routes_this')), EventAccepted);
    expect(accepted.duplicate).toBe(false);
    const unrouted = await waitFor('the unrouted event', async () => {
      const list = bodyOf(await sb.api.get(`/v1/accounts/${acct}/events/unrouted`), UnroutedList);
      return list.unrouted.length > 0 && list;
    });
    expect(unrouted.unrouted[0]!.event.event_id).toBe(accepted.event_id);

    const route = bodyOf(
      await sb.api.put(`/v1/accounts/${acct}/routes/boom`, {
        match: { event_type: 'boom' },
        steps: [{ handler: 'send_message', config: { contact: 'nobody', text: 'x' } }],
      }),
      Route,
    );
    expect(bodyOf(await sb.api.get(`/v1/accounts/${acct}/routes`), RouteList).routes.map((one) => one.id)).toEqual([route.id]);

    await sb.api.post(`/v1/accounts/${acct}/events`, event('boom'));
    const letters = await waitFor('a dead letter', async () => {
      const list = bodyOf(await sb.api.get(`/v1/accounts/${acct}/deadletters`), DeadLetterList);
      return list.deadletters.length > 0 && list;
    });
    const letter = bodyOf(await sb.api.get(`/v1/accounts/${acct}/deadletters/${letters.deadletters[0]!.id}`), StoredDeadLetter);
    expect(bodyOf(await sb.api.post(`/v1/accounts/${acct}/deadletters/${letter.id}/replay`, {}), Replayed).replayed).toBe(letter.id);
  });

  it('escalations, their pages and cancellation, and the messages they sent', async () => {
    const acct = account();
    sb.provider.simulator!.setScenario('447700913001', { outcome: 'silent' });
    const config = {
      from: { sms: 'Company' },
      users: [
        {
          name: 'Ann',
          channels: [
            { type: 'sms', id_num: '447700913001', expiry_time: 86_400 },
            { type: 'sms', id_num: '447700913003' },
          ],
        },
      ],
    };
    const started = bodyOf(
      await sb.api.post(`/v1/accounts/${acct}/escalations`, { config, event_data: { message: 'down' } }),
      EscalationView,
    );
    const sent = await waitFor('the first send', async () => {
      const esc = bodyOf(await sb.api.get(`/v1/accounts/${acct}/escalations/${started.id}`), EscalationView);
      return esc.attempts[0]?.message_uuid;
    });
    expect(bodyOf(await sb.api.get(`/v1/accounts/${acct}/messages/${sent}`), MessageView).message_uuid).toBe(sent);
    expect(bodyOf(await sb.api.get(`/v1/accounts/${acct}/escalations`), EscalationPage).total).toBe(1);
    expect(bodyOf(await sb.api.post(`/v1/accounts/${acct}/escalations/${started.id}/cancel`, {}), EscalationView).status).toBe('cancelled');
  });

  it('contacts, hooks, their calls and new tokens', async () => {
    const acct = account();
    const hook = bodyOf(
      await sb.api.post(`/v1/accounts/${acct}/hooks`, { name: 'h', event: { event_type: 'launched' }, allow_get: true }),
      HookCreated,
    );
    await sb.stores.contacts.upsert(acct, { id: 'ann', name: 'Ann', channels: [{ type: 'sms', id_num: '447700913002' }] });
    expect(bodyOf(await sb.api.get(`/v1/accounts/${acct}/contacts`), ContactList).contacts.map((one) => one.id)).toEqual(['ann']);
    const called = await sb.api.get(hook.launch_path);
    expect(bodyOf(called, HookCalled).scheduled).toBe(true);
    expect(bodyOf(await sb.api.get(`/v1/accounts/${acct}/hooks/${hook.id}`), HookView).id).toBe(hook.id);
    expect(bodyOf(await sb.api.get(`/v1/accounts/${acct}/hooks`), HookList).hooks).toHaveLength(1);
    expect(bodyOf(await sb.api.post(`/v1/accounts/${acct}/hooks/${hook.id}/token`, {}), LaunchUrls).token).not.toBe(hook.token);
  });

  it('subscriptions and their deliveries', async () => {
    const acct = account();
    const created = bodyOf(await sb.api.post(`/v1/accounts/${acct}/subscriptions`, { url: 'http://127.0.0.1:9/hooks' }), SubscriptionView);
    expect(bodyOf(await sb.api.get(`/v1/accounts/${acct}/subscriptions`), SubscriptionList).subscriptions[0]!.secret).not.toBe(
      created.secret,
    );
    await sb.api.post(`/v1/accounts/${acct}/events`, event('anything'));
    await waitFor(
      'a delivery',
      async () =>
        bodyOf(await sb.api.get(`/v1/accounts/${acct}/subscriptions/${created.id}/deliveries`), DeliveryList).deliveries.length > 0,
    );
  });

  it('limits, revoked tokens, readiness, and errors', async () => {
    const acct = account();
    expect(bodyOf(await sb.api.get('/v1/limits'), LimitsList).account).toBeNull();
    expect(bodyOf(await sb.api.get(`/v1/accounts/${acct}/limits`), AccountLimitsView).account).toBe(acct);
    bodyOf(await sb.api.get('/v1/tokens/revoked'), RevokedList);
    expect(bodyOf(await sb.api.get('/readyz'), Readiness).ready).toBe(true);
    expect(errorOf(await sb.api.get(`/v1/accounts/${acct}/routes/none`)).code).toBe('not_found');
  });
});
