import { spawn } from 'node:child_process';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREAMS } from '#libs/bus';
import { apiClient, bodyOf, errorOf } from '../support/api.js';
import { startTestNats, type TestNats } from '../support/nats.js';
import { rawRequest } from '../support/rawHttp.js';
import { startTestSwitchboard, tokenFor, type TestSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { AttackTally } from './tally.js';
import { HookCreated, RevokedList, RouteList, SubscriptionView } from '../../apps/server/http/answers.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * The routes anyone may call without an API token, each with the credential it checks itself
 * (docs/security.md lists the same): anything else registered must answer 401 without a token.
 */
const ALLOWED_WITHOUT_TOKEN = [
  'GET /healthz',
  'HEAD /healthz',
  'GET /readyz',
  'HEAD /readyz',
  'POST /webhooks/status',
  'POST /webhooks/inbound',
  ...['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].map((method) => `${method} /hooks/:token`),
].sort();

const SAMPLE_PARAMS: Record<string, string> = { account: 'beta', id: 'r1', delivery_id: 'd1', token: 'x' };

let nats: TestNats;
let sb: TestSwitchboard;
const tally = new AttackTally();

beforeAll(async () => {
  nats = await startTestNats();
  sb = await startTestSwitchboard(nats.url, { env: { SWITCHBOARD_RATE_EVENTS_PER_S: '5' } });
  await sb.api.put('/v1/accounts/beta/routes/r1', { match: { event_type: 'x' }, steps: [{ handler: 'log' }] });
});

afterAll(async () => {
  console.log(tally.summary());
  await sb?.close();
  await nats?.stop();
});

function concrete(url: string): string {
  return url.replace(/:(\w+)/g, (_match, name: string) => SAMPLE_PARAMS[name] ?? 'x');
}

/** The same path spelt so that a check on the URL's text would miss it, and the router would not. */
function spellings(pathname: string, base: string): Array<[string, string]> {
  const encodeFirst = (segment: string) => `%${segment.charCodeAt(0).toString(16)}${segment.slice(1)}`;
  const segments = pathname.split('/');
  const { host } = new URL(base);
  return [
    ['plain', pathname],
    ['an encoded first letter', pathname.replace(/^\/v1\//, '/%761/')],
    ['every letter of v1 encoded', pathname.replace(/^\/v1\//, '/%76%31/')],
    ['upper-case hex', pathname.replace(/^\/v1\/accounts\//, '/v1/acc%6Funts/')],
    ['lower-case hex', pathname.replace(/^\/v1\/accounts\//, '/v1/acc%6funts/')],
    ['an encoded second segment', segments.map((segment, i) => (i === 2 ? encodeFirst(segment) : segment)).join('/')],
    ['the account encoded', segments.map((segment, i) => (i === 3 ? encodeFirst(segment) : segment)).join('/')],
    ['absolute form', `http://${host}${pathname}`],
    ['absolute form, encoded', `http://${host}${pathname.replace(/^\/v1\//, '/%761/')}`],
    ['absolute form, another host', `http://attacker.example${pathname}`],
  ];
}

const bodyFor = (method: string) =>
  method === 'POST' || method === 'PUT' || method === 'PATCH'
    ? JSON.stringify({
        match: { event_type: 'x' },
        steps: [{ handler: 'log' }],
        url: 'https://example.com/x',
        event: { event_type: 'x' },
        conversation_type: 'c',
        conversation_key: 'k',
        event_type: 'x',
        event_data: {},
      })
    : undefined;

async function betaState() {
  const routes = bodyOf(await sb.api.get('/v1/accounts/beta/routes'), RouteList).routes.map((route) => route.id);
  const info = await sb.bus.jsm.streams.info(STREAMS.events, { subjects_filter: 'events.beta.>' });
  return { routes, events: Object.values(info.state.subjects ?? {}).reduce((sum, count) => sum + count, 0) };
}

describe('every registered route, without a token', () => {
  it('declares its access, and only the documented allow-list goes without a token', () => {
    const open = sb.httpRoutes.filter((route) => route.access.kind !== 'token').map((route) => `${route.method} ${route.url}`);
    expect([...new Set(open)].sort()).toEqual(ALLOWED_WITHOUT_TOKEN);
    // The API itself is all behind tokens: dozens of routes, every method.
    expect(sb.httpRoutes.filter((route) => route.access.kind === 'token').length).toBeGreaterThan(35);
  });

  it('answers 401 on every token route, through every spelling of its path, and changes nothing', async () => {
    const before = await betaState();
    const guarded = sb.httpRoutes.filter((route) => route.access.kind === 'token');
    for (const route of guarded) {
      for (const [spelling, target] of spellings(concrete(route.url), sb.url!)) {
        const answer = await rawRequest(sb.url!, route.method, target, { body: bodyFor(route.method) });
        tally.refused(`no token: ${spelling}`, answer.status, 401, `${route.method} ${target}`);
      }
    }
    expect(await betaState()).toEqual(before);
  });

  it('never lets an odd spelling through: each is refused or finds no route', async () => {
    const odd = [
      '//v1/accounts/beta/routes',
      '/v1//accounts/beta/routes',
      '/v1/accounts/beta/routes/',
      '/V1/accounts/beta/routes',
      '/v1/./accounts/beta/routes',
      '/x/../v1/accounts/beta/routes',
      '/v1/accounts/beta/routes;x',
      '/v1/accounts/beta%2Froutes',
      '/v1%2Faccounts/beta/routes',
      '/v1/accounts/beta/routes%00',
      '/v1/accounts/beta/routes?x=%00',
      '*',
    ];
    for (const target of odd) {
      const answer = await rawRequest(sb.url!, 'GET', target);
      tally.refused('no token: odd spellings', answer.status < 300 ? answer.status : 'refused', 'refused', target);
      expect(answer.body).not.toContain('"r1"');
    }
  });

  it('checks the token before the rate limit: callers without one cannot use up an account’s allowance', async () => {
    const event = JSON.stringify({ conversation_type: 'c', conversation_key: 'k', event_type: 'x', event_data: {} });
    for (let i = 0; i < 20; i++)
      expect((await rawRequest(sb.url!, 'POST', '/%761/accounts/gamma/events', { body: event })).status).toBe(401);
    expect((await sb.api.post('/v1/accounts/gamma/events', event)).status).toBe(202);
  });

  it('lets the allow-listed routes check their own credentials', async () => {
    expect((await rawRequest(sb.url!, 'GET', '/healthz')).status).toBe(200);
    for (const target of ['/webhooks/status', '/%77ebhooks/status', `http://${new URL(sb.url!).host}/webhooks/inbound`]) {
      tally.refused('no signature on provider webhooks', (await rawRequest(sb.url!, 'POST', target, { body: '{}' })).status, 401, target);
    }
    tally.refused(
      'launch URLs with an unknown token',
      (await rawRequest(sb.url!, 'GET', '/hooks/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).status,
      404,
      '/hooks/<unknown>',
    );
  });
});

describe('answer headers', () => {
  it('sets nosniff, frame and content-security headers, and no-store, on API answers and errors', async () => {
    const created = await sb.api.post('/v1/accounts/alpha/subscriptions', { url: 'https://example.com/hook' });
    expect(created.status).toBe(201);
    expect(bodyOf(created, SubscriptionView).secret).toMatch(/^whsec_/);
    const answers = [
      created,
      await sb.api.get('/v1/accounts/alpha/routes'),
      await apiClient(sb.url!).get('/v1/accounts/alpha/routes'),
      await apiClient(sb.url!).get('/nowhere'),
    ];
    for (const [index, answer] of answers.entries()) {
      expect(answer.headers.get('x-content-type-options'), `answer ${index}`).toBe('nosniff');
      expect(answer.headers.get('x-frame-options')).toBe('DENY');
      expect(answer.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(answer.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
  });
});

describe('tokens that can be taken back', () => {
  it('refuses a revoked token on every process at once, and only an operator may revoke', async () => {
    const second = await startTestSwitchboard(nats.url, { dataDir: sb.dataDir, roles: ['http'] });
    try {
      const token = await sb.token({ accounts: ['alpha'], scope: 'write' });
      const { jti } = decodeJwt(token);
      const viaFirst = apiClient(sb.url!, token);
      const viaSecond = apiClient(second.url!, token);
      expect((await viaFirst.get('/v1/accounts/alpha/routes')).status).toBe(200);
      expect((await viaSecond.get('/v1/accounts/alpha/routes')).status).toBe(200);
      // An account's admin is not an operator.
      const tenantAdmin = apiClient(sb.url!, await sb.token({ accounts: ['alpha'], scope: 'admin' }));
      tally.refused('revocations by a non-operator', (await tenantAdmin.post('/v1/tokens/revoked', { jti })).status, 403, 'account admin');
      tally.refused('revocations by a non-operator', (await viaFirst.post('/v1/tokens/revoked', { jti })).status, 403, 'the token itself');
      expect((await sb.api.post('/v1/tokens/revoked', { jti, extra: 1 })).status).toBe(400);

      const revoked = await sb.api.post('/v1/tokens/revoked', { jti, reason: 'laptop lost' });
      expect(revoked.status).toBe(201);
      const refused = await viaFirst.get('/v1/accounts/alpha/routes');
      tally.refused('revoked tokens', refused.status, 401, 'the revoking process, the next request');
      expect(errorOf(refused).message).toContain('revoked');
      await waitFor('the other process to refuse it', async () => (await viaSecond.get('/v1/accounts/alpha/routes')).status === 401, 2000);
      tally.refused('revoked tokens', 401, 401, 'another process');
      expect(bodyOf(await sb.api.get('/v1/tokens/revoked'), RevokedList).revoked).toEqual([
        expect.objectContaining({ jti, reason: 'laptop lost', revoked_by: 'test' }),
      ]);
    } finally {
      await second.close();
    }
  });

  it('revokes from the command line, given the token itself', async () => {
    const token = await sb.token({ accounts: ['alpha'], scope: 'read' });
    expect((await apiClient(sb.url!, token).get('/v1/accounts/alpha/routes')).status).toBe(200);
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/cli/main.ts', 'token', 'revoke', token, '--server', sb.url!], {
      cwd: ROOT,
      env: { ...process.env, SWITCHBOARD_DATA_DIR: sb.dataDir, SWITCHBOARD_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, output).toBe(0);
    expect(output).toContain(`revoked   ${decodeJwt(token).jti}`);
    tally.refused('revoked tokens', (await apiClient(sb.url!, token).get('/v1/accounts/alpha/routes')).status, 401, 'revoked by the CLI');
  });

  it('gives the first start an operator token that lasts a day', () => {
    const first = sb.firstOperatorToken!;
    const claims = decodeJwt(first.token);
    expect(claims).toMatchObject({ accounts: '*', scope: 'admin', jti: first.jti });
    expect(claims.exp! - claims.iat!).toBe(24 * 3600);
  });

  it('asks for a token without a jti to be refused: it could never be revoked', async () => {
    const { SignJWT } = await import('jose');
    const { readServerSecret } = await import('#libs/auth');
    const secret = (await readServerSecret(sb.dataDir, undefined))!;
    const noJti = await new SignJWT({ accounts: '*', scope: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .setExpirationTime('1h')
      .sign(secret);
    tally.refused('bad tokens', (await apiClient(sb.url!, noJti).get('/v1/accounts/alpha/routes')).status, 401, 'no jti');
  });
});

describe('launch URLs', () => {
  it('builds them from the server’s own address, not from the Host header a caller sends', async () => {
    const created = await rawRequest(sb.url!, 'POST', '/v1/accounts/alpha/hooks', {
      headers: { authorization: `Bearer ${await sb.token({})}`, host: 'attacker.example' },
      body: JSON.stringify({ event: { event_type: 'x' } }),
    });
    expect(created.status).toBe(201);
    expect(HookCreated.parse(JSON.parse(created.body)).launch_url.startsWith(`${sb.url}/hooks/`)).toBe(true);
  });
});

describe('audience and issuer', () => {
  it('refuses tokens for another audience or issuer when the server names its own', async () => {
    const bound = await startTestSwitchboard(nats.url, {
      env: { SWITCHBOARD_JWT_AUDIENCE: 'switchboard-api', SWITCHBOARD_JWT_ISSUER: 'https://id.example' },
    });
    try {
      const path = '/v1/accounts/alpha/routes';
      const tokens: Array<[string, string, number]> = [
        ['neither', await tokenFor(bound.dataDir, {}), 401],
        ['another audience', await tokenFor(bound.dataDir, {}, { audience: 'other-api', issuer: 'https://id.example' }), 401],
        ['another issuer', await tokenFor(bound.dataDir, {}, { audience: 'switchboard-api', issuer: 'https://evil.example' }), 401],
        ['both right', await tokenFor(bound.dataDir, {}, { audience: 'switchboard-api', issuer: 'https://id.example' }), 200],
      ];
      for (const [name, token, expected] of tokens) {
        const status = (await apiClient(bound.url!, token).get(path)).status;
        if (expected === 401) tally.refused('tokens for another audience or issuer', status, 401, name);
        else expect(status).toBe(200);
      }
    } finally {
      await bound.close();
    }
  });
});
