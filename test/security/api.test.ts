import { createHash, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { Writable } from 'node:stream';
import { decodeJwt, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readServerSecret } from '#libs/auth';
import { STREAMS } from '#libs/bus';
import { signWebhook } from '#libs/vonage';
import { loadOrCreateSimCredentials } from '../../apps/server/simCredentials.js';
import { apiClient, type ApiClient, bodyOf, errorOf, issuesOf } from '../support/api.js';
import { startTestNats, type TestNats } from '../support/nats.js';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { AttackTally } from './tally.js';
import { EscalationPage, HookCreated, Route, RouteList, SubscriptionList } from '../../apps/server/http/answers.js';

/** A route step's escalate_users config, as far as its private key. */
const AppKey = z.object({ APP: z.object({ PRIVATE_KEY: z.string() }) });

const PRIVATE_KEY = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
}).privateKey;

let nats: TestNats;
let sb: TestSwitchboard;
const logLines: string[] = [];
const tally = new AttackTally();
let alpha: ApiClient;
let alphaReader: ApiClient;

beforeAll(async () => {
  nats = await startTestNats();
  const logTo = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  sb = await startTestSwitchboard(nats.url, {
    env: {
      LOG_LEVEL: 'debug',
      SWITCHBOARD_BODY_LIMIT_BYTES: '8192',
      SWITCHBOARD_RATE_EVENTS_PER_S: '5',
      SWITCHBOARD_RATE_HOOK_LAUNCHES_PER_S: '3',
      SWITCHBOARD_ALLOW_PRIVATE_TARGETS: 'false',
    },
    logTo,
  });
  alpha = apiClient(sb.url!, await sb.token({ sub: 'alpha-app', accounts: ['alpha'], scope: 'write' }));
  alphaReader = apiClient(sb.url!, await sb.token({ sub: 'alpha-reader', accounts: ['alpha'], scope: 'read' }));
  // Something to read and change in account beta.
  await sb.api.put('/v1/accounts/beta/routes/r1', { match: { event_type: 'x' }, steps: [{ handler: 'log' }] });
});

afterAll(async () => {
  console.log(tally.summary());
  await sb?.close();
  await nats?.stop();
});

/** Every account-scoped endpoint, as [method, path, body]. */
function endpoints(account: string): Array<[string, string, unknown?]> {
  const route = { match: { event_type: 'x' }, steps: [{ handler: 'log' }] };
  const event = { conversation_type: 'c', conversation_key: 'k', event_type: 'x', event_data: {} };
  return [
    ['GET', `/v1/accounts/${account}/routes`],
    ['GET', `/v1/accounts/${account}/routes/r1`],
    ['PUT', `/v1/accounts/${account}/routes/r1`, route],
    ['PUT', `/v1/accounts/${account}/routes/new`, route],
    ['DELETE', `/v1/accounts/${account}/routes/r1`],
    ['POST', `/v1/accounts/${account}/events`, event],
    ['GET', `/v1/accounts/${account}/events/unrouted`],
    ['GET', `/v1/accounts/${account}/contacts`],
    ['GET', `/v1/accounts/${account}/contacts/c1`],
    ['GET', `/v1/accounts/${account}/messages/m1`],
    ['GET', `/v1/accounts/${account}/deadletters`],
    ['GET', `/v1/accounts/${account}/deadletters/1`],
    ['POST', `/v1/accounts/${account}/deadletters/1/replay`],
    ['GET', `/v1/accounts/${account}/escalations`],
    ['GET', `/v1/accounts/${account}/escalations/e1`],
    ['POST', `/v1/accounts/${account}/escalations`, { config: { users: ['c1'] } }],
    ['POST', `/v1/accounts/${account}/escalations/e1/cancel`],
    ['POST', `/v1/accounts/${account}/hooks`, { event: { event_type: 'x' } }],
    ['GET', `/v1/accounts/${account}/hooks`],
    ['GET', `/v1/accounts/${account}/hooks/h1`],
    ['PATCH', `/v1/accounts/${account}/hooks/h1`, { enabled: false }],
    ['DELETE', `/v1/accounts/${account}/hooks/h1`],
    ['POST', `/v1/accounts/${account}/hooks/h1/token`],
    ['GET', `/v1/accounts/${account}/broadcasts/b1`],
    ['POST', `/v1/accounts/${account}/subscriptions`, { url: 'https://example.com/hook' }],
    ['GET', `/v1/accounts/${account}/subscriptions`],
    ['GET', `/v1/accounts/${account}/subscriptions/s1`],
    ['PATCH', `/v1/accounts/${account}/subscriptions/s1`, { enabled: false }],
    ['DELETE', `/v1/accounts/${account}/subscriptions/s1`],
    ['GET', `/v1/accounts/${account}/subscriptions/s1/deliveries`],
    ['GET', `/v1/accounts/${account}/subscriptions/s1/deliveries/d1`],
    ['POST', `/v1/accounts/${account}/subscriptions/s1/deliveries/d1/replay`],
    ['GET', `/v1/accounts/${account}/events/stream`],
  ];
}

async function betaRoutes(): Promise<string[]> {
  return bodyOf(await sb.api.get('/v1/accounts/beta/routes'), RouteList).routes.map((route) => route.id);
}

async function eventsStoredFor(account: string): Promise<number> {
  const info = await sb.bus.jsm.streams.info(STREAMS.events, { subjects_filter: `events.${account}.>` });
  return Object.values(info.state.subjects ?? {}).reduce((sum, count) => sum + count, 0);
}

describe('tokens', () => {
  const path = '/v1/accounts/alpha/routes';

  it('refuses a missing, malformed, expired, tampered or foreign-signed token with 401', async () => {
    const secret = (await readServerSecret(sb.dataDir, undefined))!;
    const good = await sb.token({ accounts: ['alpha'], scope: 'admin' });
    const [header, , signature] = good.split('.');
    const widened = Buffer.from(JSON.stringify({ ...decodeJwt(good), accounts: '*' })).toString('base64url');
    const claims = { sub: 'x', accounts: '*', scope: 'admin' };
    const attempts: Array<[string, string | undefined]> = [
      ['no Authorization header', undefined],
      ['not a bearer', `Basic ${Buffer.from('a:b').toString('base64')}`],
      ['a bearer that is not a JWT', 'Bearer not-a-jwt'],
      ['an expired token', `Bearer ${await sb.token({ ttlSeconds: -10 })}`],
      ['a tampered payload (accounts widened)', `Bearer ${header}.${widened}.${signature}`],
      [
        'a token signed with another secret',
        `Bearer ${await new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('x')
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode('x'.repeat(40)))}`,
      ],
      ['alg none', `Bearer ${new UnsecuredJWT(claims).setSubject('x').setExpirationTime('1h').encode()}`],
      [
        'a wrong algorithm (HS512 with the right secret)',
        `Bearer ${await new SignJWT(claims).setProtectedHeader({ alg: 'HS512' }).setSubject('x').setExpirationTime('1h').sign(secret)}`,
      ],
      [
        'a wrong algorithm (RS256)',
        `Bearer ${await new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).setSubject('x').setExpirationTime('1h').sign(createPrivateKey(PRIVATE_KEY))}`,
      ],
      [
        'claims missing (no accounts)',
        `Bearer ${await new SignJWT({ scope: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setExpirationTime('1h').sign(secret)}`,
      ],
      ['no expiry', `Bearer ${await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('x').sign(secret)}`],
    ];
    for (const [name, authorization] of attempts) {
      const res = await apiClient(sb.url!).call('GET', path, undefined, authorization ? { authorization } : {});
      tally.refused('bad tokens', res.status, 401, name);
      expect(errorOf(res).code).toBe('unauthorized');
    }
    const write = await apiClient(sb.url!).call(
      'PUT',
      '/v1/accounts/alpha/routes/forged',
      { match: {}, steps: [{ handler: 'log' }] },
      { authorization: attempts[4]![1]! },
    );
    tally.refused('bad tokens', write.status, 401, 'tampered token on a write');
    expect((await sb.api.get('/v1/accounts/alpha/routes/forged')).status).toBe(404);
  });

  it('answers 404 to a valid token on another account, for every resource, and changes nothing there', async () => {
    const routesBefore = await betaRoutes();
    const eventsBefore = await eventsStoredFor('beta');
    for (const [method, path, body] of endpoints('beta')) {
      const res = await alpha.call(method, path, body);
      tally.refused('cross-account reads and writes', res.status, 404, `${method} ${path}`);
    }
    expect(await betaRoutes()).toEqual(routesBefore);
    expect(await eventsStoredFor('beta')).toBe(eventsBefore);
    // The same token works on its own account.
    expect((await alpha.get('/v1/accounts/alpha/routes')).status).toBe(200);
  });

  it('answers 403 to a read-only token that tries a change', async () => {
    for (const [method, path, body] of endpoints('alpha').filter(([method]) => method !== 'GET')) {
      const res = await alphaReader.call(method, path, body);
      tally.refused('read scope on a write', res.status, 403, `${method} ${path}`);
    }
    expect((await alphaReader.get('/v1/accounts/alpha/routes')).status).toBe(200);
    expect(await eventsStoredFor('alpha')).toBe(0);
  });
});

describe('secrets', () => {
  it('stores an escalation config’s private key but never returns or logs it', async () => {
    const config = {
      APP: { APP_ID: sb.provider.info.applicationId, PRIVATE_KEY },
      FROM: { SMS: 'Company', WHATSAPP: '447700900000' },
      USERS: [
        {
          name: 'Ann',
          channels: [
            { type: 'whatsapp', id_num: '447700900001' },
            { type: 'sms', id_num: '447700900002' },
          ],
        },
      ],
    };
    const saved = await sb.api.put('/v1/accounts/alpha/routes/with-key', {
      match: { event_type: 'down' },
      steps: [{ handler: 'escalate_users', config }],
    });
    expect(saved.status).toBe(201);
    const read = await sb.api.get('/v1/accounts/alpha/routes/with-key');
    const list = await sb.api.get('/v1/accounts/alpha/routes');
    for (const [name, body] of [
      ['PUT answer', saved.body],
      ['GET', read.body],
      ['GET list', list.body],
    ] as const) {
      tally.refused(
        'secret disclosure through the API',
        JSON.stringify(body).includes('BEGIN PRIVATE KEY') ? 'disclosed' : 'masked',
        'masked',
        String(name),
      );
    }
    expect(AppKey.parse(bodyOf(read, Route).steps[0]!.config).APP.PRIVATE_KEY).toBe('[redacted]');
    // Written back as read: the stored key survives (the mask is not saved over it).
    await sb.api.put('/v1/accounts/alpha/routes/with-key', read.body);
    const stored = await sb.stores.routes.get('alpha', 'with-key');
    expect(AppKey.parse(stored!.steps[0]!.config).APP.PRIVATE_KEY).toBe(PRIVATE_KEY);
    // Used, and logged about, without the key in any log line.
    await sb.api.post('/v1/accounts/alpha/events', {
      conversation_type: 'c',
      conversation_key: 'k',
      event_type: 'down',
      event_data: { message: 'x' },
    });
    await waitFor(
      'the escalation',
      async () => bodyOf(await sb.api.get('/v1/accounts/alpha/escalations'), EscalationPage).escalations.length > 0,
    );
    tally.refused(
      'secret disclosure in logs',
      logLines.some((line) => line.includes('BEGIN PRIVATE KEY')) ? 'logged' : 'absent',
      'absent',
      `${logLines.length} log lines`,
    );
    expect(logLines.length).toBeGreaterThan(10);
  });
});

describe('templates', () => {
  it('cannot reach process, env or prototypes from a route config', async () => {
    await sb.api.put('/v1/accounts/alpha/routes/inject', {
      match: { event_type: 'inject' },
      steps: [
        {
          handler: 'send_message',
          config: {
            to: { type: 'sms', id_num: '447700900777' },
            text: 'x{{process.env.PATH}}{{event.constructor.constructor}}{{event.__proto__}}{{steps.constructor}}{{event.event_data.payload}}y',
          },
        },
      ],
    });
    await sb.api.post('/v1/accounts/alpha/events', {
      conversation_type: 'c',
      conversation_key: 'k',
      event_type: 'inject',
      event_data: { payload: '{{process.env.HOME}}' },
    });
    const [message] = await waitFor(
      'the message',
      () => sb.provider.simulator!.messages({ to: '447700900777' }).length > 0 && sb.provider.simulator!.messages({ to: '447700900777' }),
    );
    // Unknown roots stay as written, prototypes read as nothing, and event data is not rendered again.
    const inert = message!.text === 'x{{process.env.PATH}}{{process.env.HOME}}y' ? 'inert' : `rendered: ${message!.text}`;
    tally.refused('template injection', inert, 'inert', 'process, constructor, __proto__, nested template');
    expect(message!.text).not.toContain(process.env.PATH!);
  });
});

describe('bodies', () => {
  it('refuses oversized and malformed bodies on every endpoint that takes one, storing nothing', async () => {
    // An account of its own: nothing else in the suite publishes there meanwhile.
    const writes = endpoints('bodies').filter(([method]) => method === 'POST' || method === 'PUT' || method === 'PATCH');
    const before = await eventsStoredFor('bodies');
    for (const [method, path] of writes) {
      const big = await sb.api.call(method, path, JSON.stringify({ blob: 'x'.repeat(10_000) }));
      tally.refused('oversized bodies', big.status, 413, `${method} ${path}`);
      const broken = await sb.api.call(method, path, '{"a": [1, 2');
      tally.refused('malformed bodies', broken.status, 400, `${method} ${path}`);
      expect(errorOf(broken).code).toBe('invalid_json');
    }
    for (const path of ['/webhooks/status', '/webhooks/inbound']) {
      tally.refused('oversized bodies', (await sb.api.post(path, JSON.stringify({ blob: 'x'.repeat(10_000) }))).status, 413, path);
    }
    expect(await eventsStoredFor('bodies')).toBe(before);
  });
});

describe('subscription targets (SSRF)', () => {
  it('refuses loopback, private, link-local and non-http targets when a subscription is saved', async () => {
    const targets = [
      'http://127.0.0.1:8080/hook',
      'http://localhost/hook',
      'http://[::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://2130706433/hook',
      'http://0x7f.0.0.1/hook',
      'http://0.0.0.0/hook',
      'http://10.1.2.3/hook',
      'http://172.16.0.5/hook',
      'http://192.168.1.1/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00::1]/hook',
      'http://[fe80::1]/hook',
      'ftp://example.com/hook',
      'file:///etc/passwd',
      'http://user:secret@example.com/hook',
      'gopher://127.0.0.1:6379/_INFO',
    ];
    for (const url of targets) {
      const res = await alpha.post('/v1/accounts/alpha/subscriptions', { url, filter: { event_types: ['escalation_*'] } });
      tally.refused('SSRF and bad subscription targets', res.status, 400, url);
      expect(issuesOf(res)[0]!.path).toBe('url');
    }
    expect(bodyOf(await alpha.get('/v1/accounts/alpha/subscriptions'), SubscriptionList).subscriptions).toHaveLength(0);
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After past an account’s publishing rate', async () => {
    const event = { conversation_type: 'c', conversation_key: 'k', event_type: 'flood', event_data: {} };
    const answers = await Promise.all(Array.from({ length: 12 }, () => sb.api.post('/v1/accounts/flood/events', event)));
    const limited = answers.filter((res) => res.status === 429);
    expect(answers.filter((res) => res.status === 202).length).toBeLessThanOrEqual(5);
    for (const res of limited) tally.refused('publishing over the rate limit', res.status, 429);
    expect(limited.length).toBeGreaterThanOrEqual(7);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(errorOf(limited[0]!).code).toBe('rate_limited');
    // Another account has its own allowance.
    expect((await sb.api.post('/v1/accounts/other-flood/events', event)).status).toBe(202);
  });

  it('answers 429 past a hook’s launch rate', async () => {
    const created = await sb.api.post('/v1/accounts/alpha/hooks', { event: { event_type: 'launched' } });
    expect(created.status).toBe(201);
    const { launch_path } = bodyOf(created, HookCreated);
    const answers = await Promise.all(Array.from({ length: 10 }, () => apiClient(sb.url!).get(launch_path)));
    const limited = answers.filter((res) => res.status === 429);
    for (const res of limited) tally.refused('hook launches over the rate limit', res.status, 429);
    expect(limited.length).toBeGreaterThanOrEqual(7);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});

describe('provider webhooks', () => {
  it('refuses unsigned, forged, wrongly signed, altered and replayed webhooks with 401, storing nothing', async () => {
    const { signature_secret } = await loadOrCreateSimCredentials(sb.dataDir);
    const body = JSON.stringify({
      message_uuid: 'f0rged',
      to: '447700900001',
      from: 'x',
      timestamp: new Date().toISOString(),
      status: 'read',
      channel: 'sms',
      client_ref: 'alpha',
    });
    // What these webhooks would be filed under (other tests' receipts may still be arriving).
    const stored = async () => {
      const info = await sb.bus.jsm.streams.info(STREAMS.provider, { subjects_filter: 'provider.>' });
      return Object.keys(info.state.subjects ?? {}).filter(
        (subject) => subject.includes('f0rged') || subject.startsWith('provider.inbound.'),
      ).length;
    };
    const storedBefore = await stored();
    const oldToken = await new SignJWT({ payload_hash: createHash('sha256').update(body).digest('hex') })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(signature_secret));
    const attempts: Array<[string, string, Record<string, string>]> = [
      ['no signature', body, {}],
      ['a forged signature', body, { authorization: `Bearer ${(await signWebhook(body, signature_secret)).slice(0, -4)}AAAA` }],
      ['the wrong secret', body, { authorization: `Bearer ${await signWebhook(body, 'not-the-secret')}` }],
      [
        'the body changed after signing',
        body.replace('read', 'delivered'),
        { authorization: `Bearer ${await signWebhook(body, signature_secret)}` },
      ],
      ['a replayed old token', body, { authorization: `Bearer ${oldToken}` }],
    ];
    for (const path of ['/webhooks/status', '/webhooks/inbound']) {
      for (const [name, payload, headers] of attempts) {
        const res = await sb.api.call('POST', path, payload, headers);
        tally.refused('forged provider webhooks', res.status, 401, `${path}: ${name}`);
      }
    }
    expect(await stored()).toBe(storedBefore);
    // A properly signed one is taken.
    const ok = await sb.api.call('POST', '/webhooks/status', body, {
      authorization: `Bearer ${await signWebhook(body, signature_secret)}`,
    });
    expect(ok.status).toBe(200);
    // Signed, but with an id no subject can hold (past nats-server's 4 KB control line): a 400, and the bus stays up.
    const huge = body.replace('f0rged', 'x'.repeat(5000));
    const refused = await sb.api.call('POST', '/webhooks/status', huge, {
      authorization: `Bearer ${await signWebhook(huge, signature_secret)}`,
    });
    tally.refused('forged provider webhooks', refused.status, 400, 'a 5,000-character message_uuid');
    expect(issuesOf(refused)[0]!.path).toBe('message_uuid');
    expect((await sb.api.get('/v1/accounts/alpha/routes')).status).toBe(200);
  });
});
