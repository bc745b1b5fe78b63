import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CONSUMERS, STREAMS } from '#libs/bus';
import { signWebhook } from '#libs/vonage';
import { loadOrCreateSimCredentials } from '../../apps/server/simCredentials.js';
import { useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { EscalationView } from '../../apps/server/http/answers.js';
import { bodyOf } from '../support/api.js';

// The shortest expiry a channel may have, 15 s, passes in 750 ms.
const sb = useSwitchboard({ env: { SWITCHBOARD_TIME_SCALE: '0.05' } });

const config = (whatsapp: string, sms: string) => ({
  from: { whatsapp: '447700900000', sms: 'Company' },
  users: [
    {
      name: 'Ann',
      channels: [
        { type: 'whatsapp', id_num: whatsapp, expiry_time: 15 },
        { type: 'sms', id_num: sms },
      ],
    },
  ],
});

async function postStatus(body: Record<string, unknown>): Promise<void> {
  const raw = JSON.stringify(body);
  const { signature_secret } = await loadOrCreateSimCredentials(sb.dataDir);
  const res = await sb.api.post('/webhooks/status', raw, { authorization: `Bearer ${await signWebhook(raw, signature_secret)}` });
  expect(res.status).toBe(200);
}

/** A receipt for a message that is none of ours, stored `lateMs` after the provider's timestamp. */
async function webhooksRunLate(lateMs: number): Promise<void> {
  await postStatus({
    message_uuid: crypto.randomUUID(),
    to: '447700000000',
    from: 'Company',
    timestamp: new Date(Date.now() - lateMs).toISOString(),
    status: 'delivered',
    channel: 'sms',
    client_ref: 'elsewhere',
  });
  await waitFor('the receipt taken by the provider worker', async () => {
    const info = await sb.bus.jsm.consumers.info(STREAMS.provider, CONSUMERS.provider);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  });
}

async function startEscalation(account: string, whatsapp: string, sms: string) {
  const started = await sb.api.post(`/v1/accounts/${account}/escalations`, {
    config: config(whatsapp, sms),
    event_data: { message: 'down' },
  });
  expect(started.status).toBe(201);
  const id = bodyOf(started, EscalationView).id;
  const first = await waitFor('the first attempt sent', async () => {
    const esc = bodyOf(await sb.api.get(`/v1/accounts/${account}/escalations/${id}`), EscalationView);
    const [attempt] = esc.attempts;
    return attempt?.deadline_at ? attempt : undefined;
  });
  return { id, first, deadline: Date.parse(first.deadline_at!) };
}

describe('expiries while provider webhooks run late', () => {
  it('a read the provider timestamped before the deadline wins, though it is stored after it', async () => {
    const sim = sb.provider.simulator!;
    sim.setScenario('447700922001', { outcome: 'silent' });
    sim.setScenario('447700922002', { outcome: 'silent' });
    await webhooksRunLate(3_000);
    const { id, first, deadline } = await startEscalation('late', '447700922001', '447700922002');

    // Past the deadline by half a second: the expiry is due, and held back while webhooks run late.
    await sleep(deadline + 500 - Date.now());
    const waiting = bodyOf(await sb.api.get(`/v1/accounts/late/escalations/${id}`), EscalationView);
    expect(waiting.status).toBe('active');
    expect(waiting.attempts[0]!.result).toBeUndefined();
    expect(sim.messages({ to: '447700922002' })).toHaveLength(0);

    const [sent] = sim.messages({ to: '447700922001' });
    await postStatus({
      message_uuid: first.message_uuid,
      to: '447700922001',
      from: '447700900000',
      timestamp: new Date(deadline - 100).toISOString(),
      status: 'read',
      channel: 'whatsapp',
      client_ref: sent!.client_ref,
    });
    const ended = await waitFor('the escalation read', async () => {
      const esc = bodyOf(await sb.api.get(`/v1/accounts/late/escalations/${id}`), EscalationView);
      return esc.status !== 'active' && esc;
    });
    expect(ended.outcome).toMatchObject({ status: 'read', user: 'Ann', channel: 'whatsapp' });
    expect(sim.messages({ to: '447700922002' })).toHaveLength(0);
  });

  it('fails over once the late webhooks had their time, and not before', async () => {
    const sim = sb.provider.simulator!;
    sim.setScenario('447700922003', { outcome: 'silent' });
    sim.setScenario('447700922004', { outcome: 'silent' });
    await webhooksRunLate(1_500);
    const { deadline } = await startEscalation('late', '447700922003', '447700922004');

    const failover = await waitFor('the failover send', () => sim.messages({ to: '447700922004' })[0], 15_000);
    expect(Date.parse(failover.accepted_at) - deadline).toBeGreaterThanOrEqual(1_500);
  });
});
