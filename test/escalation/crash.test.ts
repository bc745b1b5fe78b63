import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectBus, provisionBus, readRecent, recordJson, STREAMS, type Bus } from '#libs/bus';
import { EscalationRepository } from '#libs/escalation';
import { VumiApiEvent } from '#libs/events';
import { startSimulator, type Simulator } from '#libs/vonage-sim';
import { Route } from '../../apps/server/http/answers.js';
import { startTestNats, type TestNats } from '../support/nats.js';
import { freePort } from '../support/ports.js';
import { spawnSwitchboard, type SwitchboardProcess } from '../support/processes.js';
import { apiClient, bodyOf } from '../support/api.js';
import { testEnv, tokenFor } from '../support/switchboard.js';
import { consumersIdle } from '../support/settled.js';
import { waitFor } from '../support/waitFor.js';
import { addresses, sampleWith, TutorialSample } from './support.js';

const SCALE = 0.001;
let nats: TestNats;
let bus: Bus;
let escalationStore: EscalationRepository;
let sim: Simulator;
let dataDir: string;
let env: Record<string, string>;
const processes: SwitchboardProcess[] = [];

beforeAll(async () => {
  nats = await startTestNats();
  bus = await connectBus(nats.url);
  escalationStore = new EscalationRepository((await provisionBus(bus, { dedupeWindowS: 3600, eventsMaxAgeS: 86_400 })).escalations);
  dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-crash-'));
  const port = await freePort();
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const applicationId = randomUUID();
  const secret = 'crash-test-signature-secret';
  // The provider outlives our server, as Vonage does: its webhooks are retried until the server is back.
  sim = await startSimulator({
    applications: [{ applicationId, publicKey }],
    statusWebhookUrl: `http://127.0.0.1:${port}/webhooks/status`,
    inboundWebhookUrl: `http://127.0.0.1:${port}/webhooks/inbound`,
    signatureSecret: secret,
    timeScale: SCALE,
  });
  env = {
    ...testEnv(nats.url, dataDir),
    PORT: String(port),
    SWITCHBOARD_TIME_SCALE: String(SCALE),
    VONAGE_API_URL: sim.url,
    VONAGE_APPLICATION_ID: applicationId,
    VONAGE_PRIVATE_KEY: privateKey,
    VONAGE_SIGNATURE_SECRET: secret,
  };
});

afterAll(async () => {
  await Promise.all(processes.map((one) => one.stop()));
  await sim?.close();
  await bus?.close();
  await nats?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function start(): Promise<SwitchboardProcess> {
  const one = await spawnSwitchboard(env);
  processes.push(one);
  return one;
}

it('goes on after a SIGKILL mid-escalation: every escalation ends with exactly one outcome', async () => {
  const account = 'crash';
  const readers = [0, 1, 2].map((n) => addresses(String(600 + n)));
  const nobody = [3, 4, 5].map((n) => addresses(String(600 + n)));
  for (const a of readers) {
    for (const to of [a.tonyMessenger, a.tonySms, a.michaelViber]) sim.setScenario(to, { outcome: 'silent' });
    sim.setScenario(a.michaelWhatsapp, { outcome: 'read', read_after_ms: 200_000 });
  }
  for (const a of nobody) for (const to of Object.values(a)) sim.setScenario(to, { outcome: 'silent' });

  const first = await start();
  const api = apiClient(first.url!, await tokenFor(dataDir));
  const all = [...readers, ...nobody];
  for (const [i, a] of all.entries()) {
    const res = await api.put(`/v1/accounts/${account}/routes/r${i}`, {
      match: { event_type: `down_${i}` },
      // No APP block: against real Vonage the server's own application sends.
      steps: [
        { handler: 'escalate_users', config: sampleWith(a, { APP: undefined, failover: { expiry_time: 1000 }, final_expiry: 1000 }) },
      ],
    });
    expect(res.status).toBe(201);
    for (const user of TutorialSample.parse(bodyOf(res, Route).steps[0]!.config).USERS) expect(user.channels.length).toBeGreaterThan(1);
  }
  for (const i of all.keys()) {
    await api.post(`/v1/accounts/${account}/events`, {
      conversation_type: 'monitor',
      conversation_key: 'main',
      event_type: `down_${i}`,
      event_data: { message: 'melting' },
    });
  }
  await waitFor(
    'every escalation under way',
    async () => (await escalationStore.list(account)).filter((esc) => esc.attempts.some((one) => one.message_uuid)).length === all.length,
  );
  // Killed while the escalations are mid-flight: some sends made, receipts and expiries still to come.
  await sleep(1200);
  await first.kill();
  const before = await escalationStore.list(account);
  expect(before.some((esc) => esc.status === 'active')).toBe(true);
  // Down for a moment, as a crashed process is, while the simulator's webhooks keep coming.
  await sleep(500);
  await start();

  const ended = await waitFor(
    'every escalation to end',
    async () => {
      const list = await escalationStore.list(account);
      return list.length === all.length && list.every((esc) => esc.status !== 'active') && list;
    },
    40_000,
  );
  const byUser = new Map(ended.map((esc) => [esc.plan.users[0]!.channels[0]!.to, esc]));
  for (const a of readers) expect(byUser.get(a.tonyMessenger)?.outcome).toMatchObject({ user: 'Michael', channel: 'whatsapp' });
  for (const a of nobody) expect(byUser.get(a.tonyMessenger)?.status).toBe('exhausted');

  await waitFor('the escalations to finish their effects', async () =>
    (await escalationStore.list(account)).every((esc) => esc.outbox.length === 0),
  );
  await consumersIdle(bus, ['dispatcher', 'provider']);
  const stored = (await readRecent(bus, STREAMS.events, `events.${account}.>`, 10_000)).map((record) =>
    VumiApiEvent.parse(recordJson(record)),
  );
  const outcomes = stored.filter((event) => ['escalation_read', 'escalation_exhausted'].includes(event.event_type));
  expect(outcomes).toHaveLength(all.length);
  expect(new Set(outcomes.map((event) => event.event_data.escalation_id)).size).toBe(all.length);
}, 90_000);
