import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, openBuckets, readRecent, recordJson, STREAMS, type Bus } from '#libs/bus';
import { EscalationRepository, type Escalation } from '#libs/escalation';
import { startBenchSimulator } from '../../bench/escalations/simulator.js';
import { Cleanups } from '../../bench/harness/cleanups.js';
import type { Simulator } from '#libs/vonage-sim';
import { apiClient, type ApiClient } from '../support/api.js';
import { startTestNats, type TestNats } from '../support/nats.js';
import { freePort } from '../support/ports.js';
import { spawnSwitchboard, type SwitchboardProcess } from '../support/processes.js';
import { testEnv, tokenFor } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';

/**
 * Crashes at the narrowest points of an escalation's send, made exact: the provider takes its
 * time to answer a send it has accepted (its `submitted` webhook already sent), and the server
 * is SIGKILLed in that gap, before it knows the message id. nats-server and the provider run on.
 */
const SCALE = 0.05;
const cleanups = new Cleanups();
let nats: TestNats;
let bus: Bus;
let escalationStore: EscalationRepository;
let sim: Simulator;
let env: Record<string, string>;
let dataDir: string;
let server: SwitchboardProcess | undefined;

beforeAll(async () => {
  nats = await startTestNats();
  cleanups.add(() => nats.stop());
  dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-windows-'));
  cleanups.add(() => rm(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const ctx = {
    params: new Map(),
    quick: false,
    print: () => undefined,
    progress: () => undefined,
    defer: (cleanup: () => unknown) => cleanups.add(cleanup),
  };
  const provider = await startBenchSimulator(ctx, { serverPort: port, timeScale: SCALE, maxMessages: 1000 });
  sim = provider.sim;
  env = { ...testEnv(nats.url, dataDir), PORT: String(port), SWITCHBOARD_TIME_SCALE: String(SCALE), ...provider.vonageEnv };
  bus = await connectBus(nats.url);
  cleanups.add(() => bus.close());
  server = await spawnSwitchboard(env);
  escalationStore = new EscalationRepository((await openBuckets(bus)).escalations);
});

afterAll(async () => {
  await server?.stop();
  await cleanups.runAll((err) => console.error(err));
});

async function api(account: string): Promise<ApiClient> {
  return apiClient(server!.url!, await tokenFor(dataDir, { accounts: [account], scope: 'write' }));
}

function config(first: string, second: string) {
  return {
    from: { whatsapp: '447700900000', sms: 'Company' },
    users: [
      {
        name: 'Ann',
        channels: [
          { type: 'whatsapp', id_num: first, expiry_time: 20 },
          { type: 'sms', id_num: second },
        ],
      },
    ],
    final_expiry: 20,
  };
}

/** Kills the server once the provider has accepted a message to `to` (and before it answers), then starts it again. */
async function killOnceAccepted(to: string): Promise<void> {
  await waitFor('the provider to accept the send', () => sim.messages({ to }).length > 0, 20_000);
  await server!.kill();
  server = await spawnSwitchboard(env);
}

async function ended(account: string): Promise<Escalation> {
  return waitFor(
    'the escalation to end and do its last effects (the outcome event)',
    async () => {
      const [esc] = await escalationStore.list(account);
      return esc && esc.status !== 'active' && esc.outbox.length === 0 && esc;
    },
    40_000,
  );
}

async function outcomeEvents(account: string): Promise<string[]> {
  const records = await readRecent(bus, STREAMS.events, `events.${account}.>`, 1000);
  const outcomes = ['escalation_read', 'escalation_exhausted', 'escalation_cancelled'];
  return records.map((record) => (recordJson(record) as { event_type: string }).event_type).filter((type) => outcomes.includes(type));
}

describe('a crash between the provider accepting a send and the server recording it', () => {
  it('sends nothing twice when the trigger event brings the escalation back: the provider’s submitted webhook is the evidence', async () => {
    const [first, second] = ['447700931001', '447700931002'];
    sim.setScenario(first, { outcome: 'silent', answer_after_ms: 60_000 });
    sim.setScenario(second, { outcome: 'delivered', delivered_after_ms: 100 });
    const client = await api('windows-a');
    expect(
      (
        await client.put('/v1/accounts/windows-a/routes/page', {
          match: { event_type: 'down' },
          steps: [{ handler: 'escalate_users', config: config(first, second) }],
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await client.post('/v1/accounts/windows-a/events', {
          conversation_type: 'c',
          conversation_key: 'k',
          event_type: 'down',
          event_data: { message: 'disk full' },
        })
      ).status,
    ).toBe(202);
    await killOnceAccepted(first);

    const esc = await ended('windows-a');
    expect(sim.messages({ to: first })).toHaveLength(1);
    expect(sim.messages({ to: second })).toHaveLength(1);
    // The first attempt is the message the provider accepted before the crash, recorded from its webhook.
    expect(esc.attempts.map((attempt) => [attempt.message_uuid, attempt.result])).toEqual([
      [sim.messages({ to: first })[0]!.message_uuid, 'expired'],
      [sim.messages({ to: second })[0]!.message_uuid, 'delivered'],
    ]);
    expect(await outcomeEvents('windows-a')).toEqual(['escalation_read']);
  }, 60_000);

  it('is taken over by the recovery pass when nothing would bring it back: an escalation started through the API', async () => {
    const [first, second] = ['447700932001', '447700932002'];
    sim.setScenario(first, { outcome: 'silent', answer_after_ms: 60_000 });
    sim.setScenario(second, { outcome: 'silent' });
    const client = await api('windows-b');
    // The API call dies with the server: no message will be redelivered for it.
    void client
      .post('/v1/accounts/windows-b/escalations', { config: config(first, second), event_data: { message: 'disk full' } })
      .catch(() => undefined);
    await killOnceAccepted(first);

    const esc = await ended('windows-b');
    expect(esc.status).toBe('exhausted');
    expect(sim.messages({ to: first })).toHaveLength(1);
    expect(sim.messages({ to: second })).toHaveLength(1);
    expect(esc.attempts.map((attempt) => attempt.result)).toEqual(['expired', 'expired']);
    expect(await outcomeEvents('windows-b')).toEqual(['escalation_exhausted']);
  }, 60_000);
});
