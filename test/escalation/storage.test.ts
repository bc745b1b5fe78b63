import { randomUUID } from 'node:crypto';
import type { KV } from 'nats';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUCKETS } from '#libs/bus';
import { EscalationRepository, EscalationState, type EscalationPlan } from '#libs/escalation';
import { useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { EscalationPage, EscalationView } from '../../apps/server/http/answers.js';
import { bodyOf } from '../support/api.js';

const sb = useSwitchboard({ env: { SWITCHBOARD_TIME_SCALE: '0.001' } });

let kv: KV;
beforeAll(async () => {
  kv = await sb.bus.js.views.kv(BUCKETS.escalations);
});

const account = () => `store-${randomUUID().slice(0, 8)}`;

/** Ann on whatsapp, then sms; `expiry_time` (seconds) on both, if given. */
const config = (whatsapp: string, sms: string, expiry?: number) => {
  const wait = expiry === undefined ? {} : { expiry_time: expiry };
  return {
    from: { whatsapp: '447700900000', sms: 'Company' },
    users: [
      {
        name: 'Ann',
        channels: [
          { type: 'whatsapp', id_num: whatsapp, ...wait },
          { type: 'sms', id_num: sms, ...wait },
        ],
      },
    ],
  };
};

async function stored(key: string): Promise<unknown> {
  return (await kv.get(key))!.json<unknown>();
}

function planFor(name: string, sms: string): EscalationPlan {
  // The longest expiries a config may give: still running when the test is done with it.
  const channel = { type: 'sms' as const, to: sms, from: 'Company', condition: 'delivered' as const, expiry_s: 86_400 };
  return {
    mode: 'messages',
    rounds: 1,
    text: 'down',
    users: [{ name, channels: [channel, { ...channel, to: `${sms}9` }], final_expiry_s: 86_400 }],
  };
}

describe('how escalations are stored', () => {
  it('writes the trigger and plan once, and every change the state alone', async () => {
    const acct = account();
    sb.provider.simulator!.setScenario('447700912001', { outcome: 'read' });
    const started = await sb.api.post(`/v1/accounts/${acct}/escalations`, {
      config: config('447700912001', '447700912002'),
      event_data: { message: 'disk full' },
    });
    expect(started.status).toBe(201);
    const id = bodyOf(started, EscalationView).id;
    const ended = await waitFor('the escalation to end', async () => {
      const esc = bodyOf(await sb.api.get(`/v1/accounts/${acct}/escalations/${id}`), EscalationView);
      return esc.status !== 'active' && esc;
    });
    expect(ended).toMatchObject({ status: 'read', plan: { users: [{ name: 'Ann' }] } });

    const key = EscalationRepository.key(acct, id);
    const state = await stored(key);
    expect(state).toMatchObject({ id, status: 'read' });
    expect(state).not.toHaveProperty('plan');
    expect(state).not.toHaveProperty('trigger');
    const frame = await kv.get(`${key}.frame`);
    expect(frame!.json()).toMatchObject({ plan: { users: [{ name: 'Ann' }] }, trigger: { event_data: { message: 'disk full' } } });
    // Written before the state's first version, and never again.
    expect(frame!.revision).toBeLessThan((await kv.get(key))!.revision);
    expect(bodyOf(await sb.api.get(`/v1/accounts/${acct}/escalations`), EscalationPage).escalations).toHaveLength(1);
  });

  it('starts a change from the version it wrote last, and from a read when another writer has moved it on', async () => {
    const acct = account();
    sb.provider.simulator!.setScenario('447700912041', { outcome: 'silent' });
    sb.provider.simulator!.setScenario('447700912042', { outcome: 'silent' });
    // The longest expiries: only the timer fired below moves it on.
    const started = await sb.api.post(`/v1/accounts/${acct}/escalations`, {
      config: config('447700912041', '447700912042', 86_400),
      event_data: { message: 'disk full' },
    });
    const id = bodyOf(started, EscalationView).id;
    const key = EscalationRepository.key(acct, id);
    const { docs } = sb.escalationStore;
    const sent = await waitFor('the first send recorded', async () => {
      const current = await docs.get(key);
      return current?.value.attempts[0]?.message_uuid !== undefined && current.value.outbox.length === 0 ? current : undefined;
    });
    expect(await docs.lastWritten(key)).toEqual(sent);

    // Another process records a status of the first message: this one's last write is now stale.
    const state = EscalationState.parse(await stored(key));
    state.attempts[0]!.statuses.push({ status: 'submitted', at: new Date().toISOString() });
    await kv.update(key, JSON.stringify(state), sent.revision);

    // The expiry finds the version it remembers stale, and expires the first attempt as it now stands.
    const longAgo = Date.now() - 120_000;
    await sb.escalations.onTimer({ account_key: acct, id, task: 'expire_attempt', target: 0 }, { dueAt: longAgo });
    const expired = (await docs.get(key))!.value;
    expect(expired.attempts.map((attempt) => [attempt.channel, attempt.result])).toEqual([
      ['whatsapp', 'expired'],
      ['sms', undefined],
    ]);
    expect(expired.attempts[0]!.statuses.map((receipt) => receipt.status)).toEqual(['submitted']);
    expect(await docs.lastWritten(key)).toEqual(await docs.get(key));

    await sb.escalations.cancel(acct, id);
    // Ended, with its last events out: nothing left to remember.
    expect(await docs.lastWritten(key)).toBeUndefined();
  });

  it("lists an account's newest escalations, of one status, reading the frames of that page alone", async () => {
    const acct = account();
    const numbers = ['447700912051', '447700912052', '447700912053'];
    const ids: string[] = [];
    for (const number of numbers) {
      sb.provider.simulator!.setScenario(number, { outcome: 'silent' });
      sb.provider.simulator!.setScenario(`${number}9`, { outcome: 'silent' });
      const started = await sb.api.post(`/v1/accounts/${acct}/escalations`, { config: config(number, `${number}9`, 86_400) });
      expect(started.status).toBe(201);
      ids.push(bodyOf(started, EscalationView).id);
      // Each one starts in a later millisecond than the one before.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const [oldest, middle, newest] = ids;
    await sb.escalations.cancel(acct, oldest!);
    const list = async (query: string) => bodyOf(await sb.api.get(`/v1/accounts/${acct}/escalations${query}`), EscalationPage);

    const all = await list('');
    expect(all.escalations.map((esc) => esc.id)).toEqual([newest, middle, oldest]);
    expect(all.total).toBe(3);
    const active = await list('?status=active&limit=1');
    expect(active.escalations.map((esc) => [esc.id, esc.plan !== undefined])).toEqual([[newest, true]]);
    expect(active.total).toBe(2);
    expect((await list('?status=cancelled')).escalations.map((esc) => esc.id)).toEqual([oldest]);

    // Past the page, only states are read: a frame gone from there cannot fail the listing.
    await kv.delete(`${EscalationRepository.key(acct, oldest!)}.frame`);
    const page = await sb.api.get(`/v1/accounts/${acct}/escalations?limit=2`);
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ total: 3, escalations: [{ id: newest }, { id: middle }] });

    for (const id of [middle, newest]) await sb.escalations.cancel(acct, id!);
  });

  it('removes only the escalations that ended before the time it is given', async () => {
    const acct = account();
    sb.provider.simulator!.setScenario('447700912081', { outcome: 'silent' });
    const started = await sb.api.post(`/v1/accounts/${acct}/escalations`, { config: config('447700912081', '447700912082', 86_400) });
    const id = bodyOf(started, EscalationView).id;
    const before = new Date().toISOString();
    await sb.escalations.cancel(acct, id);
    await waitFor(
      'its last event out',
      async () => (await sb.escalationStore.docs.get(EscalationRepository.key(acct, id)))?.value.outbox.length === 0,
    );
    const after = new Date(Date.now() + 1).toISOString();
    // Other tests' escalations ended earlier go; this one stays.
    await sb.escalationStore.removeEndedBefore(before);
    expect(await sb.escalationStore.get(acct, id)).toMatchObject({ status: 'cancelled' });

    // A document that is not a valid escalation is reported, and does not hold the others back.
    const broken = EscalationRepository.key(acct, 'esc-broken');
    await kv.put(broken, JSON.stringify({ id: 'esc-broken', status: 'read' }));
    const pass = await sb.escalationStore.removeEndedBefore(after);
    expect(pass.removed).toBeGreaterThanOrEqual(1);
    expect(pass.failed).toEqual([{ key: broken, error: expect.stringMatching(/not valid/) }]);
    expect(await sb.escalationStore.get(acct, id)).toBeUndefined();
    await kv.purge(broken);
  });

  it('starts a redelivered trigger with the plan stored first, though its route changed in between', async () => {
    const acct = account();
    const id = `esc-${randomUUID().slice(0, 12)}`;
    const trigger = {
      event_id: `evt-${randomUUID()}`,
      account_key: acct,
      conversation_type: 'monitor',
      conversation_key: 'main',
      event_type: 'server_down',
      event_data: {},
      timestamp: new Date().toISOString(),
    };
    // Silent, so that it is still running when cancelled below.
    sb.provider.simulator!.setScenario('447700912021', { outcome: 'silent' });
    // A start that stored its frame and then crashed, before the escalation itself was written.
    await sb.escalationStore.docs.frame(EscalationRepository.key(acct, id), { trigger, plan: planFor('First', '447700912021') });
    const request = { id, account_key: acct, route_id: 'melt', step: 0, trigger, plan: planFor('Second', '447700912031') };
    const redelivered = await sb.escalations.start(request);
    expect(redelivered.created).toBe(true);
    expect(redelivered.escalation.plan.users[0]!.name).toBe('First');
    await waitFor('the first message', () => sb.provider.simulator!.messages({ to: '447700912021' }).length === 1);
    expect(sb.provider.simulator!.messages({ to: '447700912031' })).toHaveLength(0);
    await sb.escalations.cancel(acct, id);
  });
});
