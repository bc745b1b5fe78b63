import { mkdir, mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { planProvider, startProvider, type Provider } from '../../apps/server/provider.js';
import { loadOrCreateSimCredentials, simControlTokenFile } from '../../apps/server/simCredentials.js';
import { startSimulator } from '#libs/vonage-sim';
import { loadSettings } from '#libs/config';
import { signApplicationJwt } from '#libs/vonage';
import { waitFor } from '../support/waitFor.js';
import { rsaKeyPair, silentLogger, useSimulator } from '../vonage/fixtures.js';

const harness = useSimulator('app-sim-control');

async function call(url: string, method: string, body?: unknown, authorization?: string) {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (authorization !== undefined) headers.authorization = authorization;
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

const sim = (method: string, path: string, body?: unknown, authorization?: string) =>
  call(harness.sim.url + path, method, body, authorization);
const bearer = () => `Bearer ${harness.sim.controlToken}`;

/** What the simulator's health says of the webhooks it has still to send. */
const WebhooksPending = z.looseObject({ pending_webhooks: z.number() });

async function sendSms(to: string): Promise<number> {
  const jwt = await signApplicationJwt(harness.credentials);
  return (
    await call(
      `${harness.sim.url}/v1/messages`,
      'POST',
      { channel: 'sms', message_type: 'text', text: 'hi', to, from: 'Acme' },
      `Bearer ${jwt}`,
    )
  ).status;
}

const CONTROL_ROUTES: Array<{ method: string; path: string; body?: unknown }> = [
  { method: 'GET', path: '/_sim/messages' },
  { method: 'GET', path: '/_sim/messages?to=447700900801' },
  { method: 'PUT', path: '/_sim/scenarios/447700900801', body: { outcome: 'silent' } },
  { method: 'DELETE', path: '/_sim/scenarios' },
  { method: 'POST', path: '/_sim/inbound', body: { channel: 'sms', from: '447700900801', to: 'acme', text: 'YES' } },
  { method: 'POST', path: '/_sim/reset' },
];

/** Everything but the right token: missing, wrong, the right one altered or sent another way. */
const REFUSED: Array<[string, (token: string) => string | undefined]> = [
  ['no Authorization header', () => undefined],
  ['a wrong token', () => 'Bearer not-the-control-token'],
  ['the token with a character more', (token) => `Bearer ${token}x`],
  ['the token less its last character', (token) => `Bearer ${token.slice(0, -1)}`],
  ['the token without "Bearer"', (token) => token],
  ['the token as Basic credentials', (token) => `Basic ${Buffer.from(`sim:${token}`).toString('base64')}`],
  ['"Bearer" with nothing after it', () => 'Bearer '],
];

describe('the simulator control API without its token', () => {
  for (const route of CONTROL_ROUTES) {
    for (const [what, authorization] of REFUSED) {
      it(`${route.method} ${route.path} with ${what}: 401 unauthorized`, async () => {
        const res = await sim(route.method, route.path, route.body, authorization(harness.sim.controlToken));
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        expect(res.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
      });
    }
  }

  it('refuses before reading the body: an unparsable body without the token is 401, not 400', async () => {
    expect((await sim('PUT', '/_sim/scenarios/447700900802', '{', 'Bearer wrong')).status).toBe(401);
    expect((await sim('PUT', '/_sim/scenarios/447700900802', '{', bearer())).status).toBe(400);
  });

  it('GET /_sim/health stays open (the shared-simulator probe)', async () => {
    const res = await sim('GET', '/_sim/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', messages: 0 });
  });
});

describe('a refused call changes nothing; the token makes it work', () => {
  it('POST /_sim/inbound: only the call with the token reaches the webhook receiver', async () => {
    const reply = { channel: 'sms', from: '447700900811', to: 'acme' };
    expect((await sim('POST', '/_sim/inbound', { ...reply, text: 'forged' })).status).toBe(401);
    expect((await sim('POST', '/_sim/inbound', { ...reply, text: 'forged' }, 'Bearer wrong')).status).toBe(401);
    const accepted = await sim('POST', '/_sim/inbound', { ...reply, text: 'genuine' }, bearer());
    expect(accepted.status).toBe(202);

    await harness.receiver.waitFor((all) => all.length >= 1);
    // The simulator has no webhook left to send: a refused call that had queued one would show here.
    await waitFor(
      'the simulator to have sent every webhook',
      async () => WebhooksPending.parse((await sim('GET', '/_sim/health', undefined, bearer())).body).pending_webhooks === 0,
    );
    expect(harness.receiver.received.map((hook) => hook.body.text)).toEqual(['genuine']);
    expect(harness.receiver.received[0]?.body).toMatchObject({ message_uuid: accepted.body?.message_uuid });
  });

  it('PUT /_sim/scenarios/:recipient: a refused scenario is not applied', async () => {
    const failing = { outcome: 'delivered', fail_first: { count: 5, status: 500 } };
    expect((await sim('PUT', '/_sim/scenarios/447700900821', failing, 'Bearer wrong')).status).toBe(401);
    expect(await sendSms('447700900821')).toBe(202);
    expect((await sim('PUT', '/_sim/scenarios/447700900821', failing, bearer())).status).toBe(200);
    expect(await sendSms('447700900821')).toBe(500);
  });

  it('DELETE /_sim/scenarios: refused, the scenarios stay', async () => {
    harness.sim.setScenario('447700900831', { outcome: 'delivered', fail_first: { count: 5, status: 500 } });
    expect((await sim('DELETE', '/_sim/scenarios', undefined, 'Bearer wrong')).status).toBe(401);
    expect(await sendSms('447700900831')).toBe(500);
    expect((await sim('DELETE', '/_sim/scenarios', undefined, bearer())).status).toBe(204);
    expect(await sendSms('447700900831')).toBe(202);
  });

  it('POST /_sim/reset: refused, the messages stay', async () => {
    expect(await sendSms('447700900841')).toBe(202);
    expect((await sim('POST', '/_sim/reset')).status).toBe(401);
    expect(harness.sim.messages()).toHaveLength(1);
    expect((await sim('POST', '/_sim/reset', undefined, bearer())).status).toBe(204);
    expect(harness.sim.messages()).toHaveLength(0);
  });

  it('GET /_sim/messages: refused, it shows nothing', async () => {
    expect(await sendSms('447700900851')).toBe(202);
    const refused = await sim('GET', '/_sim/messages?to=447700900851', undefined, 'Bearer wrong');
    expect(refused.body).not.toHaveProperty('messages');
    expect(JSON.stringify(refused.body)).not.toContain('447700900851');
    const allowed = await sim('GET', '/_sim/messages?to=447700900851', undefined, bearer());
    expect(allowed.body?.messages).toEqual([expect.objectContaining({ to: '447700900851' })]);
  });
});

describe('startSimulator controlToken', () => {
  it('requires the token it is given, and no other simulator’s', async () => {
    const chosen = 'a-control-token-chosen-by-the-caller';
    const own = await startSimulator({ applications: [], controlToken: chosen, logger: silentLogger });
    try {
      expect(own.controlToken).toBe(chosen);
      expect((await call(`${own.url}/_sim/messages`, 'GET', undefined, `Bearer ${chosen}`)).status).toBe(200);
      expect((await call(`${own.url}/_sim/messages`, 'GET', undefined, bearer())).status).toBe(401);
    } finally {
      await own.close();
    }
  });

  it('without one, makes a fresh random token per simulator', async () => {
    const other = await startSimulator({ applications: [], logger: silentLogger });
    try {
      expect(other.controlToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(harness.sim.controlToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(other.controlToken).not.toBe(harness.sim.controlToken);
      expect((await call(`${other.url}/_sim/reset`, 'POST', undefined, bearer())).status).toBe(401);
      expect((await call(`${other.url}/_sim/reset`, 'POST', undefined, `Bearer ${other.controlToken}`)).status).toBe(204);
    } finally {
      await other.close();
    }
  });
});

describe('the embedded simulator’s control token in the data directory', () => {
  const dirs: string[] = [];
  const providers: Provider[] = [];
  afterEach(async () => {
    for (const provider of providers.splice(0).reverse()) await provider.close();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  async function dataDir(): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'switchboard-sim-control-'));
    dirs.push(dir);
    return dir;
  }

  const mode = async (file: string) => (await stat(file)).mode & 0o777;
  const credentialsOnDisk = async (dir: string) =>
    JSON.parse(await readFile(path.join(dir, 'simulator', 'credentials.json'), 'utf8')) as Record<string, unknown>;

  it('is generated with the credentials, and also kept alone in <data>/simulator/control-token (0600)', async () => {
    const dir = await dataDir();
    const credentials = await loadOrCreateSimCredentials(dir);
    expect(credentials.control_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await credentialsOnDisk(dir)).control_token).toBe(credentials.control_token);
    expect(await readFile(simControlTokenFile(dir), 'utf8')).toBe(`${credentials.control_token}\n`);
    expect(await mode(simControlTokenFile(dir))).toBe(0o600);
    expect(await mode(path.join(dir, 'simulator', 'credentials.json'))).toBe(0o600);
    expect((await loadOrCreateSimCredentials(dir)).control_token).toBe(credentials.control_token);
  });

  it('an older credentials.json without control_token gains one and keeps its application and keys', async () => {
    const dir = await dataDir();
    const keys = rsaKeyPair();
    const old = {
      application_id: 'app-from-before',
      private_key: keys.privateKey,
      public_key: keys.publicKey,
      signature_secret: 'secret-from-before',
    };
    await mkdir(path.join(dir, 'simulator'), { recursive: true });
    await writeFile(path.join(dir, 'simulator', 'credentials.json'), JSON.stringify(old), { mode: 0o600 });

    const upgraded = await loadOrCreateSimCredentials(dir);
    expect(upgraded).toEqual({ ...old, control_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(await credentialsOnDisk(dir)).toEqual(upgraded);
    expect(await mode(path.join(dir, 'simulator', 'credentials.json'))).toBe(0o600);
    expect((await readFile(simControlTokenFile(dir), 'utf8')).trim()).toBe(upgraded.control_token);
    expect(await loadOrCreateSimCredentials(dir)).toEqual(upgraded);
  });

  it('processes upgrading or creating the same directory at once agree on one token and one application', async () => {
    const upgrading = await dataDir();
    const keys = rsaKeyPair();
    await mkdir(path.join(upgrading, 'simulator'), { recursive: true });
    await writeFile(
      path.join(upgrading, 'simulator', 'credentials.json'),
      JSON.stringify({
        application_id: 'app-from-before',
        private_key: keys.privateKey,
        public_key: keys.publicKey,
        signature_secret: 's',
      }),
    );
    const upgrades = await Promise.all([1, 2, 3].map(() => loadOrCreateSimCredentials(upgrading)));
    expect(new Set(upgrades.map((c) => c.control_token)).size).toBe(1);
    expect((await credentialsOnDisk(upgrading)).control_token).toBe(upgrades[0]?.control_token);

    const fresh = await dataDir();
    const creations = await Promise.all([1, 2, 3].map(() => loadOrCreateSimCredentials(fresh)));
    expect(new Set(creations.map((c) => `${c.application_id} ${c.control_token}`)).size).toBe(1);
    expect((await readFile(simControlTokenFile(fresh), 'utf8')).trim()).toBe(creations[0]?.control_token);
  });

  it('a deleted control-token file comes back from credentials.json on the next start', async () => {
    const dir = await dataDir();
    const { control_token } = await loadOrCreateSimCredentials(dir);
    await unlink(simControlTokenFile(dir));
    expect((await loadOrCreateSimCredentials(dir)).control_token).toBe(control_token);
    expect((await readFile(simControlTokenFile(dir), 'utf8')).trim()).toBe(control_token);
  });

  it('the provider exposes the token for its own simulator and for one it shares', async () => {
    const dir = await dataDir();
    const start = async (simulatorPort: number) => {
      const settings = loadSettings({ SWITCHBOARD_DATA_DIR: dir, SWITCHBOARD_SIM_PORT: String(simulatorPort), LOG_LEVEL: 'silent' });
      const provider = await startProvider(await planProvider(settings), settings, undefined, silentLogger);
      providers.push(provider);
      return provider;
    };
    const owner = await start(0);
    const onDisk = (await readFile(simControlTokenFile(dir), 'utf8')).trim();
    expect(owner.simulator?.controlToken).toBe(onDisk);
    expect(owner.simulatorControlToken).toBe(onDisk);

    const sharer = await start(Number(new URL(owner.apiUrl).port));
    expect(sharer.simulator).toBeUndefined();
    expect(sharer.apiUrl).toBe(owner.apiUrl);
    expect((await call(`${sharer.apiUrl}/_sim/messages`, 'GET', undefined, `Bearer ${sharer.simulatorControlToken}`)).status).toBe(200);
    expect((await call(`${sharer.apiUrl}/_sim/messages`, 'GET')).status).toBe(401);
  });
});
