import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateSimCredentials } from '../../apps/server/simCredentials.js';
import {
  createFuzzFixtures,
  describeTally,
  fuzzEndpoints,
  fuzzRequests,
  runFuzz,
  type FuzzFixtures,
  type FuzzTally,
} from '../support/fuzzBodies.js';
import { useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { bodyOf, errorOf, issuesOf } from '../support/api.js';
import { ApiErrorBody, ContactList, DeadLetterList, Route } from '../../apps/server/http/answers.js';

/** Set FUZZ_SEED to repeat a run: the seed decides every body. */
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_113);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 20_000);
const CONCURRENCY = 24;

// Low enough for a query string to go past it (node caps a request's headers at 16 KB).
const MAX_KEYS = 1000;
const sb = useSwitchboard({ env: { SWITCHBOARD_JSON_MAX_KEYS: String(MAX_KEYS) } });
let fixtures: FuzzFixtures;
let tally: FuzzTally;

beforeAll(async () => {
  fixtures = await createFuzzFixtures(sb.api);
});

describe('hostile bodies (#13)', () => {
  // About 30 s alone on two cores: the time allowed leaves room for the suite `npm test` runs beside it.
  it(`answers ${REQUESTS} hostile bodies on every endpoint that takes one with no 5xx, every refusal in the error format`, async () => {
    const endpoints = fuzzEndpoints(sb.httpRoutes, fixtures.params);
    const fuzzed = new Set(endpoints.map((endpoint) => endpoint.method + ' ' + endpoint.path));
    const takingBodies = sb.httpRoutes.filter((route) => ['POST', 'PUT', 'PATCH'].includes(route.method));
    expect(endpoints.length).toBe(takingBodies.length + 1);
    for (const path of ['POST /webhooks/status', 'POST /webhooks/inbound', 'POST /v1/accounts/fuzz/events']) expect(fuzzed).toContain(path);
    expect([...fuzzed].filter((one) => one.startsWith('GET /hooks/'))).toHaveLength(1);

    const { signature_secret } = await loadOrCreateSimCredentials(sb.dataDir);
    const requests = fuzzRequests(endpoints, { count: REQUESTS, seed: SEED, bodyLimit: sb.settings.http.bodyLimit });
    tally = await runFuzz(requests, {
      baseUrl: sb.url!,
      apiToken: await sb.token({}),
      signatureSecret: signature_secret,
      concurrency: CONCURRENCY,
    });
    console.log(`fuzz seed ${SEED}: ${describeTally(tally)}`);

    expect(tally.sent).toBe(REQUESTS);
    expect(tally.serverErrors, `seed ${SEED}`).toEqual([]);
    expect(tally.badErrorBodies, `seed ${SEED}`).toEqual([]);
    // Only a body over the limit may see its connection closed before the 413 is read.
    expect([...tally.unanswered.keys()].filter((kind) => kind !== 'huge string over the body limit')).toEqual([]);
    // Nesting past the limit never reaches a route: 400, or 413 when it is also too large.
    for (const [kind, statuses] of tally.byKind) {
      if (kind.startsWith('deep nesting'))
        expect(
          [...statuses.keys()].every((status) => status === 400 || status === 413),
          kind,
        ).toBe(true);
    }
    expect(tally.byStatus.get(400)).toBeGreaterThan(REQUESTS / 4);
    expect([...tally.byStatus.keys()].some((status) => status >= 200 && status < 300)).toBe(true);
  }, 150_000);

  it('names the path where nesting went too deep, and refuses the same in a hook query', async () => {
    const deep = `{"conversation_type":"poll","conversation_key":"k","event_type":"deep","event_data":{"a":{"b":${'['.repeat(100_000)}${']'.repeat(100_000)}}}}`;
    const res = await sb.api.post('/v1/accounts/fuzz/events', deep);
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe('validation_failed');
    expect(issuesOf(res)[0]!.path).toBe('event_data.a.b.0.0.0.0.0.…(20 more)….0.0.0.0');
    expect(errorOf(res).message).toMatch(/nested more than 32 levels deep/);

    const launch = `${sb.url}/hooks/${fixtures.params('/hooks/:token').token}`;
    const wide = await fetch(`${launch}?${Array.from({ length: MAX_KEYS + 1 }, (_, i) => `p${i}=1`).join('&')}`);
    expect(wide.status).toBe(400);
    expect(ApiErrorBody.parse(await wide.json()).error.message).toBe(`(root): more than ${MAX_KEYS} keys in one object`);
    const proto = await fetch(`${launch}?__proto__=1&message=x`);
    expect(proto.status).toBe(400);
  });

  it('dead-letters an envelope nested 100,000 levels deep that comes on the bus, and goes on dispatching', async () => {
    const account = `fuzz-bus-${randomUUID().slice(0, 8)}`;
    const envelope = (eventData: string) =>
      `{"event_id":"${randomUUID()}","account_key":"${account}","conversation_type":"poll","conversation_key":"p1","event_type":"deep","timestamp":"${new Date().toISOString()}","event_data":${eventData}}`;
    await sb.bus.js.publish(`events.${account}.poll.p1.deep`, envelope(`{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`));
    const letter = await waitFor('the dead letter', async () => {
      const list = bodyOf(await sb.api.get(`/v1/accounts/${account}/deadletters`), DeadLetterList).deadletters;
      return list.length === 1 && list[0];
    });
    expect(letter.reason).toBe('malformed');
    expect(letter.error.message).toMatch(/^not a valid event envelope: event_data\.x\.0\.0.*: nested more than 32 levels deep/);
    expect(letter.raw!.length).toBeLessThanOrEqual(4096);
  });

  it('serves correctly afterwards: a valid event runs its route, a route reads back, /healthz', async () => {
    const account = `fuzz-after-${randomUUID().slice(0, 8)}`;
    const route = {
      match: { event_type: 'signup' },
      steps: [
        {
          handler: 'create_contact',
          config: { name: '{{event.event_data.name}}', channels: [{ type: 'sms', id_num: '{{event.event_data.msisdn}}' }] },
        },
      ],
    };
    expect((await sb.api.put(`/v1/accounts/${account}/routes/signup`, route)).status).toBe(201);
    const read = await sb.api.get(`/v1/accounts/${account}/routes/signup`);
    expect(read.status).toBe(200);
    expect(bodyOf(read, Route).steps).toEqual(route.steps);
    const published = await sb.api.post(`/v1/accounts/${account}/events`, {
      conversation_type: 'web',
      conversation_key: 'form',
      event_type: 'signup',
      event_data: { name: 'Ann', msisdn: '447700900555' },
    });
    expect(published.status).toBe(202);
    const contacts = await waitFor('the route to create the contact', async () => {
      const list = bodyOf(await sb.api.get(`/v1/accounts/${account}/contacts`), ContactList).contacts;
      return list.length > 0 && list;
    });
    expect(contacts[0]).toMatchObject({ name: 'Ann', channels: [{ type: 'sms', id_num: '447700900555' }] });
    expect((await sb.api.get('/healthz')).status).toBe(200);
  });
});
