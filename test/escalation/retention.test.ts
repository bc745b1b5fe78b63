import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BUCKETS } from '#libs/bus';
import { useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { EscalationPage, EscalationView } from '../../apps/server/http/answers.js';
import { bodyOf } from '../support/api.js';

// Ended escalations are kept 10 plan seconds: 10 ms at this scale, looked for once a second.
const sb = useSwitchboard({ env: { SWITCHBOARD_TIME_SCALE: '0.001', SWITCHBOARD_ESCALATION_RETENTION_S: '10' } });

const account = () => `keep-${randomUUID().slice(0, 8)}`;

/** Ann on whatsapp, then sms; expiries long enough that only a read or a cancel ends it. */
const config = (whatsapp: string, sms: string) => ({
  from: { whatsapp: '447700900000', sms: 'Company' },
  users: [
    {
      name: 'Ann',
      channels: [
        { type: 'whatsapp', id_num: whatsapp, expiry_time: 86_400 },
        { type: 'sms', id_num: sms },
      ],
      final_expiry: 86_400,
    },
  ],
});

/** The keys the escalations bucket holds for an escalation: its state, its frame and its index entries. */
async function storedKeys(acct: string, id: string): Promise<string[]> {
  const prefix = `$KV.${BUCKETS.escalations}.`;
  const filters = [`${prefix}${acct}.${id}`, `${prefix}${acct}.${id}.frame`, `${prefix}_reply._addr.*.${acct}.${id}`];
  const subjects = await Promise.all(
    filters.map(async (filter) =>
      Object.keys((await sb.bus.jsm.streams.info(`KV_${BUCKETS.escalations}`, { subjects_filter: filter })).state.subjects ?? {}),
    ),
  );
  return subjects.flat();
}

describe('escalation retention', () => {
  it('removes an ended escalation once past the retention, state, frame and index, and leaves a running one', async () => {
    const acct = account();
    const sim = sb.provider.simulator!;
    sim.setScenario('447700912061', { outcome: 'read' });
    sim.setScenario('447700912071', { outcome: 'silent' });
    const read = await sb.api.post(`/v1/accounts/${acct}/escalations`, { config: config('447700912061', '447700912062') });
    const running = await sb.api.post(`/v1/accounts/${acct}/escalations`, { config: config('447700912071', '447700912072') });
    const [readId, runningId] = [bodyOf(read, EscalationView).id, bodyOf(running, EscalationView).id];

    await waitFor(
      'the read escalation removed',
      async () => (await sb.api.get(`/v1/accounts/${acct}/escalations/${readId}`)).status === 404,
      10_000,
    );
    expect(await storedKeys(acct, readId)).toEqual([]);
    const list = bodyOf(await sb.api.get(`/v1/accounts/${acct}/escalations`), EscalationPage);
    expect(list).toMatchObject({ total: 1, escalations: [{ id: runningId, status: 'active' }] });
    // Its message was sent and indexed: still findable by a reply.
    expect((await sb.escalationStore.byAddress('whatsapp', '447700912071')).map((ref) => ref.id)).toEqual([runningId]);

    await sb.escalations.cancel(acct, runningId);
    await waitFor('the cancelled escalation removed', async () => (await storedKeys(acct, runningId)).length === 0, 10_000);
  });
});
