import { describe, expect, it } from 'vitest';
import { STREAMS } from '#libs/bus';
import { useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { EscalationView } from '../../apps/server/http/answers.js';
import { bodyOf } from '../support/api.js';

// Only the HTTP role: webhooks are stored (on PROVIDER, submitted ones on RECEIPTS) but no worker
// applies them, as when the workers run behind under load. Expiries are then fired by hand.
const sb = useSwitchboard({ roles: ['http'], env: { SWITCHBOARD_TIME_SCALE: '0.001' } });

const config = (whatsapp: string, sms: string) => ({
  from: { whatsapp: '447700900000', sms: 'Company' },
  users: [
    {
      name: 'Ann',
      channels: [
        { type: 'whatsapp', id_num: whatsapp },
        { type: 'sms', id_num: sms },
      ],
    },
  ],
});

async function storedReceipts(): Promise<number> {
  const streams = await Promise.all([STREAMS.provider, STREAMS.receipts].map((stream) => sb.bus.jsm.streams.info(stream)));
  return streams.reduce((sum, info) => sum + info.state.messages, 0);
}

async function startAndWaitForReceipts(account: string, whatsapp: string, sms: string, receipts: number) {
  const before = await storedReceipts();
  const started = await sb.api.post(`/v1/accounts/${account}/escalations`, {
    config: config(whatsapp, sms),
    event_data: { message: 'down' },
  });
  expect(started.status).toBe(201);
  await waitFor('the receipts stored', async () => (await storedReceipts()) - before >= receipts);
  return bodyOf(started, EscalationView).id;
}

describe('an expiry against receipts that are stored but not yet applied', () => {
  it('ends read on the stored read instead of failing over', async () => {
    sb.provider.simulator!.setScenario('447700911001', { outcome: 'read', delivered_after_ms: 1, read_after_ms: 2 });
    const id = await startAndWaitForReceipts('order', '447700911001', '447700911002', 3);
    expect(bodyOf(await sb.api.get(`/v1/accounts/order/escalations/${id}`), EscalationView).status).toBe('active');

    await sb.escalations.onTimer({ account_key: 'order', id, task: 'expire_attempt', target: 0 }, { dueAt: Date.now() });
    const esc = bodyOf(await sb.api.get(`/v1/accounts/order/escalations/${id}`), EscalationView);
    expect(esc.status).toBe('read');
    expect(esc.outcome).toMatchObject({ user: 'Ann', channel: 'whatsapp', status: 'read' });
    expect(sb.provider.simulator!.messages({ to: '447700911002' })).toHaveLength(0);
  });

  it('fails over when nothing was read', async () => {
    sb.provider.simulator!.setScenario('447700911003', { outcome: 'delivered', delivered_after_ms: 1 });
    const id = await startAndWaitForReceipts('order', '447700911003', '447700911004', 2);
    await sb.escalations.onTimer({ account_key: 'order', id, task: 'expire_attempt', target: 0 }, { dueAt: Date.now() });
    const esc = bodyOf(await sb.api.get(`/v1/accounts/order/escalations/${id}`), EscalationView);
    expect(esc.status).toBe('active');
    expect(esc.attempts.map((attempt) => attempt.result)).toEqual(['expired', undefined]);
    await waitFor('the failover send', () => sb.provider.simulator!.messages({ to: '447700911004' }).length === 1);
  });
});
