import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { callHook, createHook } from '../hooks/support.js';
import { freePort } from '../support/ports.js';
import { useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { bodyOf, errorOf } from '../support/api.js';
import { DeadLetterList, EscalationView, LimitsList } from '../../apps/server/http/answers.js';

/** How old a usage count may be here: short, so that a test sees its own publishes counted. */
const REFRESH_MS = 100;
const logLines: Array<Record<string, unknown>> = [];
const sb = useSwitchboard({
  env: { SWITCHBOARD_QUOTA_REFRESH_MS: String(REFRESH_MS), LOG_LEVEL: 'warn' },
  logTo: { write: (line: string) => void logLines.push(z.record(z.string(), z.unknown()).parse(JSON.parse(line))) },
});

const account = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const publish = (acct: string) =>
  sb.api.post(`/v1/accounts/${acct}/events`, { conversation_type: 'quota', conversation_key: 'test', event_type: 'ping', event_data: {} });
const setLimits = async (acct: string, overrides: Record<string, number>) =>
  expect((await sb.api.put(`/v1/accounts/${acct}/limits`, overrides)).status).toBe(200);

/** What the account holds against a quota, as `GET /v1/limits` answers it. */
async function used(acct: string, quota: string): Promise<number | undefined> {
  const res = await sb.api.get(`/v1/limits?account=${acct}`);
  return bodyOf(res, LimitsList).limits.find((limit) => limit.name === quota)?.used;
}

/** Past the age of every usage count taken so far: the next call is checked against a new one. */
const countsRenewed = () => sleep(REFRESH_MS * 2);

/** Whatever the account does, the escalation stays running until cancelled: nobody reads, expiries are a day. */
const escalation = (whatsapp: string) => ({
  config: {
    from: { whatsapp: '447700900000', sms: 'Company' },
    users: [
      {
        name: 'Ann',
        channels: [
          { type: 'whatsapp', id_num: whatsapp, expiry_time: 86_400 },
          { type: 'sms', id_num: '447700913099' },
        ],
        final_expiry: 86_400,
      },
    ],
  },
});

describe('per-account quotas', () => {
  it('refuses an account at its stored events quota with 507 quota_exceeded and the quota, and no other account', async () => {
    const full = account('full');
    const other = account('other');
    await setLimits(full, { max_stored_events: 3 });
    for (let i = 0; i < 3; i++) expect((await publish(full)).status).toBe(202);
    await countsRenewed();

    const refused = await publish(full);
    expect(refused.status).toBe(507);
    expect(errorOf(refused)).toMatchObject({ code: 'quota_exceeded', details: { quota: 'max_stored_events', limit: 3, used: 3 } });
    expect(errorOf(refused).message).toContain(full);
    expect((await publish(full)).status).toBe(507);
    expect((await publish(other)).status).toBe(202);
    // What was refused was not stored; what was taken still is.
    expect(await used(full, 'max_stored_events')).toBe(3);

    // The operator's log names the account once, not once per refused call.
    const warnings = logLines.filter((line) => line.account_key === full && line.quota === 'max_stored_events');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, limit: 3, used: 3 });

    // A raised quota applies to the next call.
    await setLimits(full, { max_stored_events: 10 });
    expect((await publish(full)).status).toBe(202);
  });

  it("refuses a launch hook's calls while its account is at a quota, and takes them again once it is under", async () => {
    const full = account('full');
    const hook = await createHook(sb, full);
    await setLimits(full, { max_stored_events: 1 });
    expect((await publish(full)).status).toBe(202);
    await countsRenewed();

    const refused = await callHook(sb.url!, hook.token, 'POST', { n: 1 });
    expect(refused.status).toBe(507);
    expect(errorOf(refused)).toMatchObject({ code: 'quota_exceeded', details: { quota: 'max_stored_events' } });
    await setLimits(full, { max_stored_events: 10 });
    expect((await callHook(sb.url!, hook.token, 'POST', { n: 2 })).status).toBe(200);
  });

  it('counts the webhook deliveries an account has waiting: at its quota its events are refused, and those queued stay queued', async () => {
    const acct = account('queued');
    await setLimits(acct, { max_queued_deliveries: 2 });
    // Nothing listens there: each delivery fails and waits on DELIVERIES for its retry (5 s).
    const subscription = await sb.api.post(`/v1/accounts/${acct}/subscriptions`, { url: `http://127.0.0.1:${await freePort()}/hook` });
    expect(subscription.status).toBe(201);
    for (let i = 0; i < 2; i++) expect((await publish(acct)).status).toBe(202);
    await waitFor('both deliveries queued', async () => (await used(acct, 'max_queued_deliveries')) === 2);

    const refused = await publish(acct);
    expect(refused.status).toBe(507);
    expect(errorOf(refused)).toMatchObject({ code: 'quota_exceeded', details: { quota: 'max_queued_deliveries', limit: 2, used: 2 } });
    expect(await used(acct, 'max_queued_deliveries')).toBe(2);
  });

  it('counts dead letters: an account at its quota publishes nothing new until it replays one', async () => {
    const acct = account('dead');
    await setLimits(acct, { max_dead_letters: 1 });
    // The provider refuses the send for good (a 4xx): dead-lettered at the first attempt.
    sb.provider.simulator!.setScenario('447700913001', { outcome: 'delivered', fail_first: { count: 1000, status: 422 } });
    const route = await sb.api.put(`/v1/accounts/${acct}/routes/refused`, {
      match: { event_type: 'ping' },
      steps: [{ handler: 'send_message', config: { to: { type: 'sms', id_num: '447700913001' }, text: 'refused' } }],
    });
    expect(route.status).toBe(201);
    expect((await publish(acct)).status).toBe(202);
    await waitFor('the dead letter counted', async () => (await used(acct, 'max_dead_letters')) === 1);

    const refused = await publish(acct);
    expect(refused.status).toBe(507);
    expect(errorOf(refused).details).toMatchObject({ quota: 'max_dead_letters', limit: 1, used: 1 });

    // A replay removes the dead letter (its event is published again, for a route now gone).
    await sb.api.delete(`/v1/accounts/${acct}/routes/refused`);
    const [letter] = bodyOf(await sb.api.get(`/v1/accounts/${acct}/deadletters`), DeadLetterList).deadletters;
    expect((await sb.api.post(`/v1/accounts/${acct}/deadletters/${letter!.id}/replay`)).status).toBe(202);
    await waitFor('the dead letter gone from the count', async () => (await used(acct, 'max_dead_letters')) === 0);
    expect((await publish(acct)).status).toBe(202);
  });

  it('counts running escalations: an account at its quota starts none, nor publishes, until one ends', async () => {
    const acct = account('esc');
    await setLimits(acct, { max_running_escalations: 1 });
    sb.provider.simulator!.setScenario('447700913011', { outcome: 'silent' });
    sb.provider.simulator!.setScenario('447700913012', { outcome: 'silent' });
    const first = await sb.api.post(`/v1/accounts/${acct}/escalations`, escalation('447700913011'));
    expect(first.status).toBe(201);
    await waitFor('the escalation counted', async () => (await used(acct, 'max_running_escalations')) === 1);

    const refused = await sb.api.post(`/v1/accounts/${acct}/escalations`, escalation('447700913012'));
    expect(refused.status).toBe(507);
    expect(errorOf(refused)).toMatchObject({ code: 'quota_exceeded', details: { quota: 'max_running_escalations', limit: 1, used: 1 } });
    expect((await publish(acct)).status).toBe(507);

    expect((await sb.api.post(`/v1/accounts/${acct}/escalations/${bodyOf(first, EscalationView).id}/cancel`)).status).toBe(200);
    await waitFor('the cancelled escalation no longer counted', async () => (await used(acct, 'max_running_escalations')) === 0);
    const second = await sb.api.post(`/v1/accounts/${acct}/escalations`, escalation('447700913012'));
    expect(second.status).toBe(201);
    await sb.api.post(`/v1/accounts/${acct}/escalations/${bodyOf(second, EscalationView).id}/cancel`);
  });
});
