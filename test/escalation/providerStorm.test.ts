import { describe, expect, it } from 'vitest';
import type { Escalation } from '#libs/escalation';
import { useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { EscalationView } from '../../apps/server/http/answers.js';
import { bodyOf } from '../support/api.js';

// A channel waits 600 s, 6 s here; the client tries a send twice, 10 ms apart, before the engine
// backs off; an answer slower than 500 ms is no answer.
const SCALE = 0.01;
const sb = useSwitchboard({
  env: { SWITCHBOARD_TIME_SCALE: String(SCALE), VONAGE_MAX_ATTEMPTS: '2', VONAGE_RETRY_BASE_MS: '10', VONAGE_TIMEOUT_MS: '500' },
});

function config(first: string, second: string) {
  return {
    from: { whatsapp: '447700900000', sms: 'Company' },
    users: [
      {
        name: 'Ann',
        channels: [
          { type: 'whatsapp', id_num: first },
          { type: 'sms', id_num: second },
        ],
      },
    ],
  };
}

async function escalate(account: string, first: string, second: string): Promise<Escalation> {
  const started = await sb.api.post(`/v1/accounts/${account}/escalations`, {
    config: config(first, second),
    event_data: { message: 'db down' },
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return waitFor(
    'the escalation to end',
    async () => {
      const esc = await sb.escalationStore.get(account, bodyOf(started, EscalationView).id);
      // Ended, and done with its last effects: a receipt can end it before its send is recorded.
      return esc && esc.status !== 'active' && esc.outbox.length === 0 && esc;
    },
    20_000,
  );
}

describe('a provider storm: 5xx and 429 for a while', () => {
  it('backs each send off and tries it again on the same channel, and every escalation ends as its recipients act, each messaged once', async () => {
    const sim = sb.provider.simulator!;
    const storms = [
      { status: 503, count: 7 },
      { status: 500, count: 5 },
      { status: 429, count: 6, retry_after_s: 0 },
      { status: 503, count: 1 },
    ] as const;
    const cases = storms.flatMap((storm, i) =>
      [0, 1, 2].map((j) => {
        const [first, second] = [`4477009410${i}${j}`, `4477009420${i}${j}`];
        sim.setScenario(first, { outcome: 'read', delivered_after_ms: 10, read_after_ms: 20, fail_first: storm });
        sim.setScenario(second, { outcome: 'read' });
        return { account: `storm-${i}-${j}`, first, second, storm };
      }),
    );
    const ended = await Promise.all(cases.map((one) => escalate(one.account, one.first, one.second)));

    for (const [position, esc] of ended.entries()) {
      const { first, second, storm } = cases[position]!;
      expect(esc.outcome, esc.id).toMatchObject({ status: 'read', channel: 'whatsapp', attempt: 0 });
      expect(sim.messages({ to: first })).toHaveLength(1);
      expect(sim.messages({ to: second })).toHaveLength(0);
      // Two refusals per engine try (the client's own two), the last try half taken: the engine backed off between.
      const engineFailures = Math.ceil((storm.count + 1) / 2) - 1;
      const [attempt] = esc.attempts;
      expect(attempt!.send_failures?.count ?? 0).toBe(engineFailures);
      if (engineFailures > 1) {
        // 20 ms, then 40, then 80...: the tries spread over at least the backoff.
        const minimumMs = Array.from({ length: engineFailures - 1 }, (_, k) => 20 * 2 ** k).reduce((a, b) => a + b, 0);
        expect(Date.parse(attempt!.sent_at!) - Date.parse(attempt!.send_failures!.first_at)).toBeGreaterThanOrEqual(minimumMs);
      }
    }
  });

  it('fails the channel over once the provider has not taken its send for as long as the channel waits', async () => {
    const sim = sb.provider.simulator!;
    const [first, second] = ['447700943001', '447700943002'];
    sim.setScenario(first, { outcome: 'read', fail_first: { count: 10_000, status: 503 } });
    sim.setScenario(second, { outcome: 'delivered', delivered_after_ms: 20 });
    const esc = await escalate('storm-long', first, second);
    expect(esc.outcome).toMatchObject({ status: 'delivered', channel: 'sms' });
    expect(esc.attempts[0]).toMatchObject({ result: 'failed' });
    expect(esc.attempts[0]!.error).toContain('503');
    expect(esc.attempts[0]!.send_failures!.count).toBeGreaterThan(3);
    // It kept trying for the channel's 6 s, no longer: then the next channel went out.
    const failedFor = Date.parse(esc.attempts[1]!.sent_at!) - Date.parse(esc.attempts[0]!.send_failures!.first_at);
    expect(failedFor).toBeGreaterThanOrEqual(6000);
    expect(failedFor).toBeLessThan(6000 + 60_000);
    expect(sim.messages({ to: first })).toHaveLength(0);
  }, 30_000);

  it('does not send again a message the provider took but did not answer for: its submitted webhook says it went out', async () => {
    const sim = sb.provider.simulator!;
    const [first, second] = ['447700944001', '447700944002'];
    // Accepted at once (its webhooks go out), answered after 1 s: past the client's 500 ms.
    sim.setScenario(first, { outcome: 'read', delivered_after_ms: 10, read_after_ms: 20, answer_after_ms: 100_000 });
    const esc = await escalate('storm-slow', first, second);
    expect(esc.outcome).toMatchObject({ status: 'read', channel: 'whatsapp', attempt: 0 });
    expect(sim.messages({ to: first })).toHaveLength(1);
    expect(esc.attempts[0]!.message_uuid).toBe(sim.messages({ to: first })[0]!.message_uuid);
    expect(sim.messages({ to: second })).toHaveLength(0);
  });
});
