import { Agent, request } from 'node:http';
import type { RouteAccess } from '../../apps/server/http/accessControl.js';
import { signWebhook } from '#libs/vonage';
import type { ApiClient } from './api.js';

/**
 * Hostile request bodies for every endpoint that takes one, from a seeded generator (the same seed
 * gives the same requests, so a failure repeats), and the client that sends them: the fuzz test
 * and `npm run bench -- fuzz` share both.
 */

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** How a request proves who it is: the API's bearer token, Vonage's webhook signature, or nothing (the hook token is in the URL). */
export type FuzzAuth = 'token' | 'webhook' | 'none';

export interface FuzzEndpoint {
  method: string;
  /** A concrete path. */
  path: string;
  auth: FuzzAuth;
  /** A valid body, which the mutations start from; a GET endpoint takes a query string instead. */
  seed: unknown;
}

const now = '2026-01-01T00:00:00.000Z';

/** A valid body per route, by `METHOD url`; a route that is not listed is fuzzed from an empty object. */
export const SEED_BODIES: Readonly<Record<string, unknown>> = {
  'POST /v1/accounts/:account/events': {
    conversation_type: 'poll',
    conversation_key: 'fuzz-poll',
    event_type: 'fuzzed',
    event_data: { name: 'Ann', msisdn: '447700900123', answers: { q1: 'yes', score: 7 }, tags: ['a', 'b'] },
  },
  'PUT /v1/accounts/:account/routes/:id': {
    match: { conversation_type: '*', event_type: 'fuzzed' },
    where: { 'event_data.status': ['down', 'degraded'] },
    steps: [
      { handler: 'log' },
      { handler: 'send_message', config: { to: { type: 'sms', id_num: '447700900123' }, text: 'Hi {{event.event_data.name}}' } },
    ],
  },
  'POST /v1/accounts/:account/escalations': {
    config: {
      text: '[{{user.name}}]: {{event.event_data.message}}',
      users: [
        {
          name: 'Tony',
          channels: [
            { type: 'sms', id_num: '447700900101' },
            { type: 'whatsapp', id_num: '447700900102', expiry_time: 600 },
          ],
        },
      ],
    },
    event_data: { message: 'fuzz' },
  },
  'POST /v1/accounts/:account/hooks': {
    name: 'fuzzed hook',
    event: { event_type: 'fuzz_launch' },
    default_audience: { join: 'AND', conditions: [{ field: 'role', criterion: 'Equals', value: 'oncall' }] },
    debounce_s: 10,
    allowed_hosts: ['127.0.0.1', '::1/128'],
  },
  'PATCH /v1/accounts/:account/hooks/:id': { name: 'renamed', debounce_s: 5, default_audience: null },
  'POST /v1/accounts/:account/subscriptions': {
    url: 'http://127.0.0.1:9/fuzz',
    filter: { event_types: ['escalation_*'], conversation_type: '*' },
    description: 'fuzz',
  },
  'PATCH /v1/accounts/:account/subscriptions/:id': { description: 'patched', enabled: true, filter: { event_types: ['*'] } },
  'POST /v1/tokens/revoked': { jti: 'fuzz-jti', reason: 'fuzz' },
  'POST /hooks/:token': {
    audience_filters: ['team'],
    audience_criteria: ['Equals'],
    audience_values: ['ops'],
    set_variables: ['alerted'],
    set_variables_values: ['yes'],
    message: 'fuzz',
  },
  'GET /hooks/:token': 'audience_filters=team&audience_criteria=Equals&audience_values=ops&message=fuzz',
  'POST /webhooks/status': {
    message_uuid: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
    to: '447700900001',
    from: 'Switchboard',
    timestamp: now,
    status: 'delivered',
    channel: 'sms',
    client_ref: 'fuzz',
  },
  'POST /webhooks/inbound': {
    channel: 'sms',
    message_uuid: 'aaaaaaaa-bbbb-4ccc-8ddd-ffffffffffff',
    to: 'Switchboard',
    from: '447700900001',
    timestamp: now,
    message_type: 'text',
    text: 'yes',
  },
};

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Every route of the catalogue that takes a body (and the hook launch URL's GET, whose query is a
 * payload), with its parameters filled in by `params` and its valid body.
 */
export function fuzzEndpoints(routes: readonly RouteAccess[], params: (url: string) => Record<string, string>): FuzzEndpoint[] {
  const endpoints: FuzzEndpoint[] = [];
  for (const route of routes) {
    const key = `${route.method} ${route.url}`;
    if (!BODY_METHODS.has(route.method) && key !== 'GET /hooks/:token') continue;
    const values = params(route.url);
    const path = route.url.replace(/:(\w+)/g, (_match, name: string) => encodeURIComponent(values[name] ?? 'x'));
    const auth: FuzzAuth = route.access.kind === 'token' ? 'token' : route.url.startsWith('/webhooks/') ? 'webhook' : 'none';
    endpoints.push({ method: route.method, path, auth, seed: SEED_BODIES[key] ?? {} });
  }
  return endpoints;
}

export interface FuzzFixtures {
  /** A route's path parameters: the account it is fuzzed in, and the ids of the fixtures. */
  params: (url: string) => Record<string, string>;
}

/**
 * Creates what the paths name. Routes and subscriptions are fuzzed in accounts of their own, so
 * that what the fuzz saves never acts on what it publishes (no route runs, no deliveries); the
 * hook it calls is not the one it patches (a patch may disable it, a new token replace its URL).
 */
export async function createFuzzFixtures(api: ApiClient): Promise<FuzzFixtures> {
  const hook = async (name: string) => {
    const res = await api.post('/v1/accounts/fuzz/hooks', { name, event: { event_type: 'fuzz_launch' } });
    if (res.status !== 201) throw new Error(`creating a hook failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string; token: string };
  };
  const patched = await hook('patched by the fuzz');
  const called = await hook('called by the fuzz');
  const subscription = await api.post('/v1/accounts/fuzz-subs/subscriptions', {
    url: 'http://127.0.0.1:9/fuzz',
    filter: { event_types: ['never'] },
  });
  if (subscription.status !== 201)
    throw new Error(`creating a subscription failed: ${subscription.status} ${JSON.stringify(subscription.body)}`);
  return {
    params: (url) => {
      const area = /^\/v1\/accounts\/:account\/(\w+)/.exec(url)?.[1];
      const account = area === 'subscriptions' ? 'fuzz-subs' : area === 'routes' ? 'fuzz-routes' : 'fuzz';
      const id =
        area === 'hooks'
          ? patched.id
          : area === 'subscriptions'
            ? (subscription.body as { id: string }).id
            : area === 'routes'
              ? 'fuzzed-route'
              : 'x1';
      return { account, id, delivery_id: 'd1', token: called.token };
    },
  };
}

/** One request to send: its body as bytes, exactly. */
export interface FuzzRequest {
  kind: string;
  method: string;
  /** Path and query. */
  target: string;
  auth: FuzzAuth;
  contentType: string | undefined;
  body: Buffer | undefined;
}

type Json = unknown;

const UNICODE = [
  '😀👩‍👩‍👧‍👦𝕏',
  '\u202eevil\u202c',
  'مرحبا بالعالم',
  'nul\u0000byte',
  '\ud800',
  'lone \udfff low',
  '\ufeffbom',
  'line\u2028sep\u2029',
  'e\u0301\u0301\u0301',
  'zero\u200bwidth',
  '\u0001\u001f\u007f',
  '{{event}}{{process.env.PATH}}',
  `${'A'.repeat(1000)}😀`,
];

const INVALID_UTF8: readonly number[][] = [
  [0xff],
  [0xfe, 0xff],
  [0xc3, 0x28],
  [0xa0, 0xa1],
  [0xe2, 0x28, 0xa1],
  [0xf0, 0x90, 0x28, 0xbc],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0x00],
];

const CONTENT_TYPES: ReadonlyArray<string | undefined> = [
  undefined,
  'text/plain',
  'text/plain; charset=utf-8',
  'multipart/form-data; boundary=----fuzz',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/json, text/plain',
  'application/jsonx',
  '',
];

const NOT_OBJECTS = ['1', '-0', '1e400', '[]', '[{}]', '[1,2,3]', 'null', '"a string"', 'true', '""', '0.1', '-1'];

const OUT_OF_RANGE = [
  '1e400',
  '-1e400',
  '1e-400',
  '123456789012345678901234567890',
  '9007199254740993',
  '-0',
  '0.1e-999999',
  '1E+308',
  '-4.9e-324',
];
const NOT_NUMBERS = ['NaN', 'Infinity', '-Infinity', '0x10', '01', '+1', '.5', '1.', '1e', '--1'];

const PROTO_KEYS = [
  '{"__proto__":{"admin":true,"polluted":1}}',
  '{"constructor":{"prototype":{"admin":true}}}',
  '{"prototype":{"admin":true}}',
  '{"constructor":"x","__defineGetter__":1}',
];

const KEY_POOL = [
  'x',
  '',
  ' ',
  'event_data',
  'config',
  'steps',
  'name',
  'url',
  'jti',
  'users',
  'status',
  'a.b',
  '*',
  'id',
  'k'.repeat(300),
  '😀',
  '__proto__',
];

/** A random small JSON value (at most `depth` levels). */
function randomValue(rnd: SeededRandom, depth = 2): Json {
  switch (rnd.int(10)) {
    case 0:
      return null;
    case 1:
      return rnd.pick([0, -1, 1.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), Number.MAX_VALUE, Number.MIN_VALUE, 1e21]);
    case 2:
      return rnd.chance(0.5);
    case 3:
      return rnd.pick(UNICODE);
    case 4:
      return rnd.pick(['', ' ', 'x', 'sms', 'read', '*', 'AND', 'Equals', 'log', 'http://127.0.0.1:9/x', '447700900123', now, 'c-1']);
    case 5:
      return depth > 0 ? Array.from({ length: rnd.int(4) }, () => randomValue(rnd, depth - 1)) : [];
    case 6:
      return depth > 0
        ? Object.fromEntries(
            Array.from({ length: rnd.int(4) }, () => [
              rnd.pick(KEY_POOL.filter((key) => key !== '__proto__')),
              randomValue(rnd, depth - 1),
            ]),
          )
        : {};
    case 7:
      return 'x'.repeat(rnd.pick([64, 1000, 5000]));
    default:
      return rnd.int(1_000_000);
  }
}

/** Every place in a JSON value: its containers' entries, found with a work list. */
function places(root: Json): Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> {
  const found: Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> = [];
  const pending: Json[] = [root];
  while (pending.length > 0) {
    const next = pending.pop();
    if (Array.isArray(next)) {
      for (let index = 0; index < next.length; index++) {
        found.push({ parent: next, key: index });
        pending.push(next[index]);
      }
    } else if (next !== null && typeof next === 'object') {
      for (const [key, item] of Object.entries(next)) {
        found.push({ parent: next as Record<string, unknown>, key });
        pending.push(item);
      }
    }
  }
  return found;
}

function containersOf(root: Json): Array<Record<string, unknown> | unknown[]> {
  const containers: Array<Record<string, unknown> | unknown[]> =
    typeof root === 'object' && root !== null ? [root as Record<string, unknown>] : [];
  for (const { parent, key } of places(root)) {
    const value = (parent as Record<string | number, unknown>)[key];
    if (typeof value === 'object' && value !== null) containers.push(value as Record<string, unknown>);
  }
  return containers;
}

function copy(value: Json): Json {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** A marker put in the value and replaced in its text by something JSON.stringify cannot write. */
const MARK = '\u0001fuzz-mark\u0001';
const MARK_JSON = JSON.stringify(MARK);

/** The seed with the marker at a random place (or added under a random key of a random object). */
function markedText(rnd: SeededRandom, seed: Json): string {
  const value = copy(seed);
  if (typeof value !== 'object' || value === null) return MARK_JSON;
  const spots = places(value);
  if (spots.length > 0 && rnd.chance(0.6)) {
    const { parent, key } = rnd.pick(spots);
    (parent as Record<string | number, unknown>)[key] = MARK;
  } else {
    const target = rnd.pick(containersOf(value));
    if (Array.isArray(target)) target.push(MARK);
    else target[rnd.pick(KEY_POOL.filter((key) => key !== '__proto__'))] = MARK;
  }
  return JSON.stringify(value);
}

function withRaw(rnd: SeededRandom, seed: Json, raw: string): string {
  return markedText(rnd, seed).replace(MARK_JSON, () => raw);
}

/** The large texts, made once each: making them is most of the generator's time otherwise. */
const madeTexts = new Map<string, string>();
function madeOnce(key: string, make: () => string): string {
  let text = madeTexts.get(key);
  if (text === undefined) madeTexts.set(key, (text = make()));
  return text;
}

/** Nesting `levels` deep, as text (building the value would itself need the stack it tests). */
function deepText(levels: number, shape: 'array' | 'object' | 'mixed'): string {
  return madeOnce(`deep ${shape} ${levels}`, () => {
    const open = shape === 'array' ? '[' : shape === 'object' ? '{"a":' : '[{"a":';
    const close = shape === 'array' ? ']' : shape === 'object' ? '}' : '}]';
    const repeats = shape === 'mixed' ? Math.ceil(levels / 2) : levels;
    return `${open.repeat(repeats)}1${close.repeat(repeats)}`;
  });
}

function manyKeysText(count: number): string {
  return madeOnce(`keys ${count}`, () => `{${Array.from({ length: count }, (_, i) => `"k${i}":${i}`).join(',')}}`);
}

function stringText(length: number): string {
  return madeOnce(`string ${length}`, () => JSON.stringify('s'.repeat(length)));
}

/** The same value as another JSON type: a string as a number or a list, an array as an object, ... */
function retyped(value: Json): Json {
  if (typeof value === 'string') return value.length % 2 === 0 ? value.length : [value];
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return { ...value };
  if (value !== null && typeof value === 'object') return Object.values(value);
  return String(value);
}

/** Structure-aware changes to a valid body: values replaced, keys dropped or added, types swapped. */
function mutated(rnd: SeededRandom, seed: Json): Json {
  let value = copy(seed);
  for (let n = 1 + rnd.int(4); n > 0; n--) {
    const spots = typeof value === 'object' && value !== null ? places(value) : [];
    if (spots.length === 0 || rnd.chance(0.05)) {
      value = rnd.chance(0.5) ? randomValue(rnd) : [value];
      continue;
    }
    const { parent, key } = rnd.pick(spots);
    const slot = parent as Record<string | number, unknown>;
    switch (rnd.int(6)) {
      case 0:
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete slot[key];
        break;
      case 1: {
        const target = rnd.pick(containersOf(value));
        if (Array.isArray(target)) target.push(randomValue(rnd));
        else target[rnd.pick(KEY_POOL.filter((name) => name !== '__proto__'))] = randomValue(rnd);
        break;
      }
      case 2:
        slot[key] = retyped(slot[key]);
        break;
      case 3:
        slot[key] = typeof slot[key] === 'string' ? `${slot[key]}${rnd.pick(UNICODE)}` : rnd.pick(UNICODE);
        break;
      default:
        slot[key] = randomValue(rnd);
    }
  }
  return value;
}

/** Byte-level damage to a valid body's text: characters flipped, dropped, doubled. */
function damagedText(rnd: SeededRandom, text: string): string {
  const chars = [...text];
  for (let n = 1 + rnd.int(3); n > 0 && chars.length > 0; n--) {
    const at = rnd.int(chars.length);
    const op = rnd.int(3);
    if (op === 0) chars.splice(at, 1);
    else if (op === 1) chars.splice(at, 0, rnd.pick(['{', '}', '[', ']', '"', ',', ':', '\\', 'x', '0', ' ', '\u0000']));
    else chars.splice(at, 0, chars[at]!);
  }
  return chars.join('');
}

function json(text: string): { contentType: string; body: Buffer } {
  return { contentType: 'application/json', body: Buffer.from(text, 'utf8') };
}

/** One kind of hostile body: a name (tallied), its weight, and how to make one from the endpoint's seed. */
interface BodyKind {
  kind: string;
  weight: number;
  make(rnd: SeededRandom, seed: Json, bodyLimit: number): { contentType: string | undefined; body: Buffer | undefined };
}

const BODY_KINDS: readonly BodyKind[] = [
  { kind: 'valid', weight: 4, make: (_rnd, seed) => json(JSON.stringify(seed)) },
  { kind: 'mutation', weight: 26, make: (rnd, seed) => json(JSON.stringify(mutated(rnd, seed)) ?? 'null') },
  { kind: 'damaged text', weight: 6, make: (rnd, seed) => json(damagedText(rnd, JSON.stringify(seed))) },
  {
    kind: 'deep nesting (33 to 1,000 levels)',
    weight: 6,
    make: (rnd, seed) => json(withRaw(rnd, seed, deepText(rnd.pick([33, 100, 1000]), rnd.pick(['array', 'object', 'mixed'] as const)))),
  },
  { kind: 'deep nesting (100,000 levels)', weight: 2, make: (rnd, seed) => json(withRaw(rnd, seed, deepText(100_000, 'array'))) },
  { kind: 'deep nesting (40,000 levels of objects)', weight: 1, make: (rnd, seed) => json(withRaw(rnd, seed, deepText(40_000, 'object'))) },
  { kind: 'deep nesting, bare', weight: 1, make: (rnd) => json(deepText(rnd.pick([100, 100_000]), 'array')) },
  {
    kind: 'many keys',
    weight: 2,
    make: (rnd, seed) => {
      const keys = manyKeysText(rnd.pick([1000, 10_001, 20_000]));
      return json(rnd.chance(0.5) ? keys : withRaw(rnd, seed, keys));
    },
  },
  { kind: 'many items', weight: 1, make: (rnd, seed) => json(withRaw(rnd, seed, `[${'0,'.repeat(rnd.pick([10_000, 60_000]))}0]`)) },
  {
    kind: 'huge string near the body limit',
    weight: 1,
    make: (rnd, seed, bodyLimit) => {
      const room = bodyLimit - Buffer.byteLength(JSON.stringify(seed)) - 200;
      return json(withRaw(rnd, seed, stringText(Math.max(0, room))));
    },
  },
  {
    kind: 'huge string over the body limit',
    weight: 0.5,
    make: (rnd, seed, bodyLimit) => json(withRaw(rnd, seed, stringText(bodyLimit + 1024))),
  },
  { kind: 'unicode', weight: 6, make: (rnd, seed) => json(withRaw(rnd, seed, JSON.stringify(rnd.pick(UNICODE)))) },
  {
    kind: 'unicode keys',
    weight: 2,
    make: (rnd, seed) => json(withRaw(rnd, seed, `{${JSON.stringify(rnd.pick(UNICODE))}:${JSON.stringify(rnd.pick(UNICODE))}}`)),
  },
  {
    kind: 'invalid UTF-8',
    weight: 5,
    make: (rnd, seed) => {
      const [before, after] = markedText(rnd, seed).split(MARK_JSON) as [string, string];
      const bytes = Buffer.from(rnd.pick(INVALID_UTF8));
      return { contentType: 'application/json', body: Buffer.concat([Buffer.from(`${before}"`), bytes, Buffer.from(`"${after ?? ''}`)]) };
    },
  },
  {
    kind: 'wrong content type',
    weight: 7,
    make: (rnd, seed) => ({
      contentType: rnd.pick(CONTENT_TYPES),
      body: Buffer.from(rnd.chance(0.7) ? JSON.stringify(seed) : '--fuzz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--fuzz--'),
    }),
  },
  { kind: 'no body', weight: 2, make: (rnd) => ({ contentType: rnd.chance(0.5) ? 'application/json' : undefined, body: undefined }) },
  {
    kind: 'truncated JSON',
    weight: 6,
    make: (rnd, seed) => {
      const text = JSON.stringify(seed);
      return json(text.slice(0, rnd.int(text.length)));
    },
  },
  { kind: 'not an object', weight: 5, make: (rnd) => json(rnd.pick(NOT_OBJECTS)) },
  {
    kind: 'prototype keys',
    weight: 5,
    make: (rnd, seed) => json(rnd.chance(0.3) ? rnd.pick(PROTO_KEYS) : withRaw(rnd, seed, rnd.pick(PROTO_KEYS))),
  },
  { kind: 'numbers out of range', weight: 4, make: (rnd, seed) => json(withRaw(rnd, seed, rnd.pick(OUT_OF_RANGE))) },
  { kind: 'not numbers', weight: 2, make: (rnd, seed) => json(withRaw(rnd, seed, rnd.pick(NOT_NUMBERS))) },
  {
    kind: 'duplicate keys',
    weight: 5,
    make: (rnd, seed) => {
      const text = JSON.stringify(seed);
      const keys = typeof seed === 'object' && seed !== null && !Array.isArray(seed) ? Object.keys(seed) : [];
      if (keys.length === 0 || !text.endsWith('}')) return json(`{"a":1,"a":${JSON.stringify(randomValue(rnd))}}`);
      const key = rnd.pick(keys);
      return json(`${text.slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(randomValue(rnd)) ?? 'null'}}`);
    },
  },
];

/** A request target node sends: what HTTP forbids in one (spaces, controls, non-ASCII, `#`) percent-encoded. */
function sendable(query: string): string {
  return query.replace(/[^\x21-\x7e]|#/gu, (char) => encodeURIComponent(char));
}

function manyParameters(count: number): string {
  return madeOnce(`parameters ${count}`, () => Array.from({ length: count }, (_, i) => `p${i}=${i}`).join('&'));
}

/** Hostile query strings for the hook launch URL: the query is the payload of a GET. */
function hostileQuery(rnd: SeededRandom, seed: string): { kind: string; query: string } {
  switch (rnd.int(9)) {
    case 0:
      return { kind: 'query: valid', query: seed };
    case 1:
      return { kind: 'query: many parameters', query: manyParameters(rnd.pick([100, 1500])) };
    case 2:
      return { kind: 'query: repeated keys', query: `${seed}&${'audience_filters=team&'.repeat(rnd.pick([2, 300]))}message=x` };
    case 3:
      return { kind: 'query: bracket nesting', query: `${'a'}${'[b]'.repeat(rnd.pick([5, 200]))}=1&${seed}` };
    case 4:
      return {
        kind: 'query: prototype keys',
        query: `${rnd.pick(['__proto__', 'constructor[prototype]', 'prototype', '__proto__[admin]'])}=1&${seed}`,
      };
    case 5:
      return {
        kind: 'query: bad percent-encoding',
        query: `${seed}&message=${rnd.pick(['%', '%zz', '%ff%fe', '%c0%af', '%ed%a0%80', '%00', '%F0%9F%98%80'])}`,
      };
    case 6:
      return {
        kind: 'query: unicode',
        query: `${seed}&${encodeURIComponent(rnd.pick(UNICODE).replace(/[\ud800-\udfff]/g, 'x'))}=${encodeURIComponent(rnd.pick(UNICODE).replace(/[\ud800-\udfff]/g, 'x'))}`,
      };
    case 7:
      return { kind: 'query: long value', query: `${seed}&message=${'m'.repeat(rnd.pick([1000, 6000]))}` };
    default:
      return { kind: 'query: mutated', query: damagedText(rnd, seed) };
  }
}

/**
 * `count` requests spread at random over the endpoints, each a hostile body (or query) of a kind
 * picked by weight; the same seed gives the same requests.
 */
export function* fuzzRequests(
  endpoints: readonly FuzzEndpoint[],
  options: { count: number; seed: number; bodyLimit: number },
): Generator<FuzzRequest> {
  const rnd = new SeededRandom(options.seed);
  const totalWeight = BODY_KINDS.reduce((sum, kind) => sum + kind.weight, 0);
  const pickKind = () => {
    let left = rnd.next() * totalWeight;
    for (const kind of BODY_KINDS) if ((left -= kind.weight) < 0) return kind;
    return BODY_KINDS[0]!;
  };
  for (let i = 0; i < options.count; i++) {
    const endpoint = rnd.pick(endpoints);
    const base = { method: endpoint.method, auth: endpoint.auth };
    if (endpoint.method === 'GET') {
      const { kind, query } = hostileQuery(rnd, String(endpoint.seed));
      yield { ...base, kind, target: `${endpoint.path}?${sendable(query)}`, contentType: undefined, body: undefined };
      continue;
    }
    const kind = pickKind();
    yield { ...base, kind: kind.kind, target: endpoint.path, ...kind.make(rnd, endpoint.seed, options.bodyLimit) };
  }
}

export interface FuzzAnswerSample {
  kind: string;
  method: string;
  target: string;
  status: number;
  body: string;
}

export interface FuzzTally {
  sent: number;
  byStatus: Map<number, number>;
  byKind: Map<string, Map<number, number>>;
  /** Answers of 5xx, the first 20. */
  serverErrors: FuzzAnswerSample[];
  serverErrorCount: number;
  /** 4xx answers that are not `{error: {code, message}}` JSON, the first 20. */
  badErrorBodies: FuzzAnswerSample[];
  badErrorBodyCount: number;
  /** Requests that got no answer (the connection closed first), by kind. */
  unanswered: Map<string, number>;
  /** Time spent waiting for answers, by kind (summed over concurrent requests). */
  msByKind: Map<string, number>;
  durationMs: number;
}

export interface FuzzRunOptions {
  baseUrl: string;
  /** An operator's token, so that bodies reach validation. */
  apiToken: string;
  /** The provider's webhook signature secret: about half the webhooks are signed with it. */
  signatureSecret: string;
  concurrency: number;
}

function isErrorBody(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    return typeof parsed.error?.code === 'string' && typeof parsed.error.message === 'string';
  } catch {
    return false;
  }
}

async function headersFor(req: FuzzRequest, options: FuzzRunOptions, signIt: boolean): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  if (req.contentType !== undefined) headers['content-type'] = req.contentType;
  if (req.body) headers['content-length'] = String(req.body.length);
  if (req.auth === 'token') headers.authorization = `Bearer ${options.apiToken}`;
  // The server verifies the body as it decoded it: sign that, so signed bodies reach validation.
  if (req.auth === 'webhook' && signIt)
    headers.authorization = `Bearer ${await signWebhook(req.body?.toString('utf8') ?? '', options.signatureSecret)}`;
  return headers;
}

function send(
  agent: Agent,
  url: URL,
  req: FuzzRequest,
  headers: Record<string, string>,
): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (answer: { status: number; body: string } | undefined) => {
      if (!settled) resolve(answer);
      settled = true;
    };
    const outgoing = request({ agent, host: url.hostname, port: url.port, method: req.method, path: req.target, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    // An answer before the whole body was sent (413) closes the connection: the write then fails.
    outgoing.on('error', () => done(undefined));
    outgoing.end(req.body);
  });
}

function count<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Sends every request, `concurrency` at a time over keep-alive connections, and tallies the answers. */
export async function runFuzz(requests: Iterable<FuzzRequest>, options: FuzzRunOptions): Promise<FuzzTally> {
  const url = new URL(options.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const tally: FuzzTally = {
    sent: 0,
    byStatus: new Map(),
    byKind: new Map(),
    serverErrors: [],
    serverErrorCount: 0,
    badErrorBodies: [],
    badErrorBodyCount: 0,
    unanswered: new Map(),
    msByKind: new Map(),
    durationMs: 0,
  };
  const iterator = requests[Symbol.iterator]();
  const signing = new SeededRandom(0x5eed);
  const started = performance.now();
  const worker = async () => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) {
      const req = next.value;
      tally.sent++;
      const sentAt = performance.now();
      const answer = await send(agent, url, req, await headersFor(req, options, signing.chance(0.5)));
      tally.msByKind.set(req.kind, (tally.msByKind.get(req.kind) ?? 0) + performance.now() - sentAt);
      if (!answer) {
        count(tally.unanswered, req.kind);
        continue;
      }
      count(tally.byStatus, answer.status);
      const kindStatuses = tally.byKind.get(req.kind) ?? new Map<number, number>();
      tally.byKind.set(req.kind, kindStatuses);
      count(kindStatuses, answer.status);
      const sample = {
        kind: req.kind,
        method: req.method,
        target: req.target.slice(0, 200),
        status: answer.status,
        body: answer.body.slice(0, 500),
      };
      if (answer.status >= 500) {
        tally.serverErrorCount++;
        if (tally.serverErrors.length < 20) tally.serverErrors.push(sample);
      } else if (answer.status >= 400 && !isErrorBody(answer.body)) {
        tally.badErrorBodyCount++;
        if (tally.badErrorBodies.length < 20) tally.badErrorBodies.push(sample);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    agent.destroy();
  }
  tally.durationMs = performance.now() - started;
  return tally;
}

/** The tally as lines: statuses overall, then per kind. */
export function describeTally(tally: FuzzTally): string {
  const statuses = (map: Map<number, number>) =>
    [...map]
      .sort(([a], [b]) => a - b)
      .map(([status, n]) => `${status}×${n}`)
      .join(' ');
  const lines = [`${tally.sent} requests in ${(tally.durationMs / 1000).toFixed(1)} s: ${statuses(tally.byStatus)}`];
  for (const [kind, map] of [...tally.byKind].sort(([a], [b]) => a.localeCompare(b))) {
    const answered = [...map.values()].reduce((sum, n) => sum + n, 0);
    lines.push(`  ${kind.padEnd(42)} ${`${((tally.msByKind.get(kind) ?? 0) / answered).toFixed(1)} ms`.padStart(9)}  ${statuses(map)}`);
  }
  if (tally.unanswered.size > 0)
    lines.push(`  unanswered (connection closed first): ${[...tally.unanswered].map(([kind, n]) => `${kind}×${n}`).join(', ')}`);
  return lines.join('\n');
}
