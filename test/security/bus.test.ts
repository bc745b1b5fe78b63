import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, createInbox, Events, type Msg, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busAddUser } from '../../apps/cli/busAddUser.js';
import {
  BUCKETS,
  BusUsers,
  connectBus,
  CONSUMERS,
  ensureDurableConsumer,
  provisionBus,
  SERVER_USER,
  startNatsServer,
  streamConfigs,
  STREAMS,
  type Bus,
  type Buckets,
  type NatsServerProcess,
} from '#libs/bus';
import { DeadLetters } from '#libs/deadletters';
import { publishEvent } from '#libs/events';
import { DEFAULT_JSON_SHAPE } from '#libs/jsonShape';
import { startBusIngest, type BusIngest } from '#libs/ingest';
import { quotaExceeded } from '#libs/limits';
import { createLogger } from '#libs/logger';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/waitFor.js';
import { AttackTally } from './tally.js';

const PROJECT_CONF = path.resolve(import.meta.dirname, '../../nats.conf');
const TOPOLOGY = { dedupeWindowS: 60, eventsMaxAgeS: 3600 };
/** The durable consumers Switchboard's workers read through, on their streams. */
const CONSUMER_SPECS = [
  { stream: STREAMS.events, name: CONSUMERS.dispatcher, filter: 'events.>' },
  { stream: STREAMS.timers, name: CONSUMERS.timers, filter: 'timers.>' },
  { stream: STREAMS.provider, name: CONSUMERS.provider },
  { stream: STREAMS.deliveries, name: CONSUMERS.deliveries, filter: 'deliveries.>' },
].map((spec) => ({ ...spec, ackWaitMs: 600_000, maxAckPending: 1000 }));

const tally = new AttackTally();
let dir: string;
let users: BusUsers;
let server: NatsServerProcess;
let admin: Bus;
let buckets: Buckets;
let ingest: BusIngest | undefined;
/** Accounts the ingest's quotas refuse. */
const accountsAtQuota = new Set<string>();
const passwords: Record<string, string> = {};
const open: NatsConnection[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'switchboard-bus-'));
  users = new BusUsers(path.join(dir, 'nats'));
  for (const [account, role] of [
    ['alpha', 'source'],
    ['beta', 'source'],
    ['alpha', 'reader'],
    ['beta', 'reader'],
  ] as const) {
    passwords[`${role}-${account}`] = (await users.add(account, role)).password;
  }
  const serverPassword = await users.serverPassword(undefined);
  // The project's nats.conf, with the accounts and users Switchboard generates for it, run as the launcher runs it.
  const configFile = await users.writeServerConfig(PROJECT_CONF, serverPassword);
  server = await startNatsServer({
    configFile,
    port: await freePort(),
    monitorPort: await freePort(),
    storeDir: path.join(dir, 'nats'),
    pidFile: users.pidFile,
    portsFileDir: users.portsFileDir,
  });
  process.once('exit', () => server.killNow());
  admin = await connectBus(server.url, { user: SERVER_USER, pass: serverPassword });
  buckets = await provisionBus(admin, TOPOLOGY);
  for (const spec of CONSUMER_SPECS) await ensureDurableConsumer(admin, spec);
  // What the server's edge runs: sources' publishes arrive here, to be checked and stored.
  const quotas = {
    async admit(account: string) {
      if (accountsAtQuota.has(account)) throw quotaExceeded(account, 'max_stored_events', 10, 10);
    },
  };
  ingest = await startBusIngest({
    bus: admin,
    deadLetters: new DeadLetters(admin),
    jsonShape: DEFAULT_JSON_SHAPE,
    quotas,
    log: createLogger({ level: 'silent' }),
  });
});

afterAll(async () => {
  console.log(tally.summary());
  await ingest?.stop();
  for (const nc of open) await nc.close().catch(() => undefined);
  await admin?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** An -ERR the server sent: its code, and the subject a permissions violation names. */
interface Refusal {
  code: string;
  subject: string | undefined;
}

/** No source or reader may publish here: its refusal marks the end of the server's answers to what came before. */
const ANSWERED_MARKER = 'marker.answered';

async function as(user: string): Promise<{ nc: NatsConnection; errors: Refusal[] }> {
  const nc = await connect({ servers: server.url, user, pass: passwords[user] });
  open.push(nc);
  const errors: Refusal[] = [];
  void (async () => {
    for await (const status of nc.status())
      if (status.type === Events.Error)
        errors.push({
          code: typeof status.data === 'string' ? status.data : JSON.stringify(status.data),
          subject: status.permissionContext?.subject,
        });
  })();
  return { nc, errors };
}

/** What the server answered to the last action: a permissions violation, or nothing (accepted). */
async function answer(nc: NatsConnection, errors: Refusal[]): Promise<string> {
  // The server answers a connection in order: once the marker's refusal is in, any answer to the action came before it.
  nc.publish(ANSWERED_MARKER);
  const marker = await waitFor('the marker refused', () => {
    const at = errors.findIndex((refusal) => refusal.subject === ANSWERED_MARKER);
    return at === -1 ? undefined : at;
  });
  const last = errors.slice(0, marker).at(-1)?.code ?? 'accepted';
  errors.length = 0;
  return last;
}

/** Messages stored in EVENTS per subject. */
async function eventCounts(): Promise<Record<string, number>> {
  return (await admin.jsm.streams.info(STREAMS.events, { subjects_filter: '>' })).state.subjects ?? {};
}

async function stored(account: string): Promise<number> {
  return Object.entries(await eventCounts())
    .filter(([subject]) => subject.startsWith(`events.${account}.`))
    .reduce((sum, [, count]) => sum + count, 0);
}

/** Collects what a connection receives on a subject. */
function watch(nc: NatsConnection, subject: string): string[] {
  const seen: string[] = [];
  nc.subscribe(subject, { callback: (err, msg) => void (err || seen.push(`${msg.subject} ${msg.string()}`)) });
  return seen;
}

/** One message of a durable consumer, left unacknowledged (its reply is its acknowledgement subject). */
async function pullOne(stream: string, consumer: string): Promise<Msg> {
  const inbox = createInbox();
  const delivered = admin.nc.subscribe(inbox, { max: 1, timeout: 5000 });
  admin.nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, JSON.stringify({ batch: 1 }), { reply: inbox });
  for await (const msg of delivered) return msg;
  throw new Error(`no message from ${stream}/${consumer}`);
}

/** A whole envelope, as a source sends it on the bus (the bus ingest takes nothing less). */
const event = (account: string, eventId = `ev-${randomUUID()}`) => ({
  event_id: eventId,
  account_key: account,
  conversation_type: 'c',
  conversation_key: 'k',
  event_type: 'x',
  event_data: {},
  timestamp: new Date().toISOString(),
});

interface JetStreamState {
  streams: Record<
    string,
    { config: unknown; consumers: Record<string, unknown>; subjects?: Record<string, number>; messages?: number; first_seq?: number }
  >;
  kv: Record<string, Record<string, { value: string | undefined; revision: number | undefined }>>;
}

/**
 * Everything JetStream keeps: each stream's config and messages (EVENTS per subject), each
 * consumer's config and acknowledgements, each bucket's keys with their values and revisions.
 */
async function jetStreamState(): Promise<JetStreamState> {
  const state: JetStreamState = { streams: {}, kv: {} };
  for await (const info of admin.jsm.streams.list()) {
    const consumers: Record<string, unknown> = {};
    for await (const consumer of admin.jsm.consumers.list(info.config.name)) {
      consumers[consumer.name] = {
        config: consumer.config,
        delivered: consumer.delivered,
        ack_floor: consumer.ack_floor,
        ack_pending: consumer.num_ack_pending,
      };
    }
    const { messages, first_seq } = info.state;
    state.streams[info.config.name] = {
      config: info.config,
      consumers,
      ...(info.config.name === STREAMS.events ? { subjects: await eventCounts() } : { messages, first_seq }),
    };
  }
  // Keys from the stream's subjects: listing them through the bucket would add consumers of its own.
  for (const bucket of Object.values(buckets)) {
    const subjects = (await admin.jsm.streams.info(`KV_${bucket.name}`, { subjects_filter: '>' })).state.subjects ?? {};
    const keys: JetStreamState['kv'][string] = {};
    for (const key of Object.keys(subjects).map((subject) => subject.slice(`$KV.${bucket.name}.`.length))) {
      const entry = await bucket.kv.get(key);
      keys[key] = { value: entry?.string(), revision: entry?.revision };
    }
    state.kv[bucket.name] = keys;
  }
  return state;
}

/** The state with these events stored, once each, and nothing else. */
function withEvents(state: JetStreamState, subjects: string[]): JetStreamState {
  const next = structuredClone(state);
  const counts = next.streams[STREAMS.events]!.subjects!;
  for (const subject of subjects) counts[subject] = (counts[subject] ?? 0) + 1;
  return next;
}

describe('the bus, with the accounts and users nats.conf defines', () => {
  it('refuses anonymous connections and wrong passwords', async () => {
    for (const [name, options] of [
      ['anonymous', {}],
      ['a wrong password', { user: 'source-alpha', pass: 'guess' }],
      ['an unknown user', { user: 'source-gamma', pass: 'x' }],
      ['the server user without its password', { user: SERVER_USER, pass: 'x' }],
    ] as const) {
      const outcome = await connect({ servers: server.url, ...options, reconnect: false }).then(
        async (nc) => (await nc.close(), 'connected'),
        (err: Error) => (/authoriz/i.test(err.message) ? 'refused' : err.message),
      );
      tally.refused('bus connections without valid credentials', outcome, 'refused', name);
    }
  });

  it("refuses a source of account A publishing to account B's subjects; its own go through", async () => {
    const { nc, errors } = await as('source-alpha');
    const before = await stored('beta');
    for (const subject of [
      'events.beta.c.k.x',
      'events.beta.poll.p.poll_complete',
      'deadletter.beta.x',
      'timers.escalation.x',
      '$JS.API.STREAM.DELETE.EVENTS',
      '$KV.routes.beta.r',
    ]) {
      nc.publish(subject, JSON.stringify(event('beta')));
      tally.refused('bus publishes outside the source account', await answer(nc, errors), 'PERMISSIONS_VIOLATION', subject);
    }
    // Each was refused at the door (its -ERR is in): none can be stored late.
    expect(await stored('beta')).toBe(before);
    expect((await admin.jsm.streams.info(STREAMS.events)).config.name).toBe('EVENTS');
    // Its own account: through JetStream, acknowledged on its own inbox.
    const own = await stored('alpha');
    expect((await publishEvent(nc.jetstream(), event('alpha'))).duplicate).toBe(false);
    expect(await stored('alpha')).toBe(own + 1);
  });

  it('lets a source subscribe to its own inboxes only, which hold nothing of anyone else', async () => {
    const { nc, errors } = await as('source-alpha');
    for (const subject of ['events.alpha.>', '$JS.API.>', '$KV.>', '>']) {
      nc.subscribe(subject);
      tally.refused('bus subscriptions by a source', await answer(nc, errors), 'PERMISSIONS_VIOLATION', subject);
    }
    const inboxes = watch(nc, '_INBOX.>');
    expect(await answer(nc, errors)).toBe('accepted');
    // Another source's acknowledgements and Switchboard's own replies use _INBOX too, in their accounts.
    const beta = await as('source-beta');
    await publishEvent(beta.nc.jetstream(), event('beta'));
    await admin.jsm.streams.info(STREAMS.events);
    // Both answers have come: any copy routed to this source came with them, and is in after its PONG.
    await nc.flush();
    tally.refused("others' replies seen on a source's _INBOX.>", inboxes.length, 0, 'source-beta and switchboard');
  });

  it("shows a reader its account's events, from Switchboard and from its source, once each; nothing of B; and lets it publish nothing", async () => {
    const { nc, errors } = await as('reader-alpha');
    const seen: string[] = [];
    const own = nc.subscribe('events.alpha.>', { callback: (err, msg) => void (err || seen.push(msg.subject)) });
    expect(await answer(nc, errors)).toBe('accepted');
    for (const subject of ['events.beta.>', 'events.*.>', '>', '_INBOX.>', '$JS.API.>']) {
      nc.subscribe(subject, { callback: (err, msg) => void (err || seen.push(msg.subject)) });
      tally.refused('bus subscriptions outside the reader account', await answer(nc, errors), 'PERMISSIONS_VIOLATION', subject);
    }
    await publishEvent(admin.js, { ...event('beta'), event_type: 'by_switchboard' });
    await publishEvent(admin.js, { ...event('alpha'), event_type: 'by_switchboard' });
    await publishEvent((await as('source-beta')).nc.jetstream(), { ...event('beta'), event_type: 'by_source' });
    await publishEvent((await as('source-alpha')).nc.jetstream(), { ...event('alpha'), event_type: 'by_source' });
    await waitFor("the source's event", () => seen.includes('events.alpha.c.k.by_source'));
    // Every publish above has been acknowledged, so routed: what this reader would get is in after its PONG.
    await nc.flush();
    expect(seen.sort()).toEqual(['events.alpha.c.k.by_source', 'events.alpha.c.k.by_switchboard']);
    for (const subject of ['events.alpha.c.k.x', '$JS.API.STREAM.PURGE.EVENTS']) {
      nc.publish(subject, 'forged');
      tally.refused('bus publishes by a reader', await answer(nc, errors), 'PERMISSIONS_VIOLATION', subject);
    }
    own.unsubscribe();
  });

  it("does nothing with the reply subject of a source's publish: no stream, consumer, bucket or other account changes", async () => {
    // What the replies would reach: beta's route and dead letter, a timer its worker holds.
    await buckets.routes.kv.put('beta.rt-1', JSON.stringify({ id: 'rt-1', account_key: 'beta' }));
    await admin.js.publish('deadletter.beta.handler_failed', JSON.stringify({ reason: 'handler_failed', account_key: 'beta' }));
    await admin.js.publish('timers.escalation.esc-1', '{}');
    // Pulled and not acknowledged: its acknowledgement subject is one of the replies tried.
    const held = await pullOne(STREAMS.timers, CONSUMERS.timers);
    expect(held.reply).toMatch(/^\$JS\.ACK\.TIMERS\.timers\./);

    const streams: string[] = [];
    for await (const name of admin.jsm.streams.names()) streams.push(name);
    expect(streams).toEqual(expect.arrayContaining([...Object.values(STREAMS), ...Object.values(BUCKETS).map((bucket) => `KV_${bucket}`)]));
    const replies = [
      ...streams.flatMap((stream) => [
        `$JS.API.STREAM.PURGE.${stream}`,
        `$JS.API.STREAM.DELETE.${stream}`,
        `$JS.API.CONSUMER.CREATE.${stream}`,
      ]),
      ...CONSUMER_SPECS.map(({ stream, name }) => `$JS.API.CONSUMER.DELETE.${stream}.${name}`),
      ...Object.values(BUCKETS).map((bucket) => (bucket === BUCKETS.routes ? '$KV.routes.beta.rt-1' : `$KV.${bucket}.beta.x`)),
      // Every stream's subjects, in beta's name: a reply there would be stored as a message of it.
      ...streamConfigs(TOPOLOGY).flatMap((config) => (config.subjects ?? []).map((subject) => subject.replace('>', 'beta.c.k.x'))),
      '_INBOX.x',
    ];
    expect(replies).toContain('events.beta.c.k.x');

    const beta = await as('reader-beta');
    const betaSees = watch(beta.nc, 'events.beta.>');
    const serverSees = [...watch(admin.nc, 'events.beta.>'), ...watch(admin.nc, '_INBOX.x')];
    await Promise.all([beta.nc.flush(), admin.nc.flush()]);
    const { nc, errors } = await as('source-alpha');
    // nats-server itself refuses a client's reply on $JS.ACK, which it keeps for its own; the others it takes.
    const attacks = [...replies.map((reply) => ({ reply, answer: 'accepted' })), { reply: held.reply!, answer: 'PERMISSIONS_VIOLATION' }];
    let before = await jetStreamState();
    for (const attack of attacks) {
      nc.publish('events.alpha.c.k.x', JSON.stringify(event('alpha')), { reply: attack.reply });
      const answered = await answer(nc, errors);
      expect(answered, attack.reply).toBe(attack.answer);
      // JetStream stores what it takes a moment after it is routed, and the ack that would say so went to the attack's reply.
      await sleep(20);
      // The event itself is stored, once, when taken; nothing else changes.
      const after = await jetStreamState();
      const expected = answered === 'accepted' ? withEvents(before, ['events.alpha.c.k.x']) : before;
      tally.refused(
        "reply subjects on a source's own publishes",
        JSON.stringify(after) === JSON.stringify(expected) ? 'no effect' : JSON.stringify(after),
        'no effect',
        attack.reply,
      );
      before = after;
    }
    // Every reply was routed by the time the source's last PONG came; each watcher has its own after its PONG.
    await Promise.all([nc.flush(), beta.nc.flush(), admin.nc.flush()]);
    expect(betaSees).toEqual([]);
    expect(serverSees).toEqual([]);
  });

  it("still acknowledges a source's requests and JetStream publishes, once per event id", async () => {
    const { nc } = await as('source-alpha');
    const before = await stored('alpha');
    const reply = await nc.request('events.alpha.c.k.x', JSON.stringify(event('alpha')), { timeout: 5000 });
    expect(reply.json()).toMatchObject({ stream: STREAMS.events, seq: expect.any(Number) });
    const js = nc.jetstream();
    const once = JSON.stringify(event('alpha', 'alpha-once'));
    const first = await js.publish('events.alpha.c.k.x', once, { msgID: 'alpha-once' });
    const again = await js.publish('events.alpha.c.k.x', once);
    expect(first).toMatchObject({ stream: STREAMS.events, duplicate: false });
    expect(again).toMatchObject({ stream: STREAMS.events, seq: first.seq, duplicate: true });
    expect(await stored('alpha')).toBe(before + 2);
  });

  it("scopes a source's event ids to its account: another account's source cannot have them taken for repeats", async () => {
    const alpha = (await as('source-alpha')).nc.jetstream();
    const beta = (await as('source-beta')).nc.jetstream();
    // alpha sends the id beta will use, with every message id it might guess beta's to be.
    for (const msgID of ['order-1', 'beta:order-1', 'alpha:order-1']) {
      await alpha.publish('events.alpha.c.k.x', JSON.stringify(event('alpha', 'order-1')), { msgID });
    }
    const betaBefore = await stored('beta');
    const taken = await beta.publish('events.beta.c.k.x', JSON.stringify(event('beta', 'order-1')), { msgID: 'order-1' });
    tally.refused(
      'event ids taken across accounts',
      taken.duplicate ? 'swallowed' : 'stored',
      'stored',
      'beta:order-1 after alpha sent it',
    );
    expect(await stored('beta')).toBe(betaBefore + 1);
  });

  it("refuses a source's events while its account is at a quota, as the API does (507), and stores nothing", async () => {
    const js = (await as('source-alpha')).nc.jetstream();
    const before = await stored('alpha');
    accountsAtQuota.add('alpha');
    try {
      const refused = await js.publish('events.alpha.c.k.x', JSON.stringify(event('alpha'))).then(
        () => 'stored',
        (err: Error) => (err as { api_error?: { code?: number } }).api_error?.code,
      );
      expect(refused).toBe(507);
      expect(await stored('alpha')).toBe(before);
    } finally {
      accountsAtQuota.delete('alpha');
    }
    expect((await js.publish('events.alpha.c.k.x', JSON.stringify(event('alpha')))).duplicate).toBe(false);
    expect(await stored('alpha')).toBe(before + 1);
  });

  it('answers a source that sends no envelope, or one of another account, with an error, stores nothing, and files a dead letter in its account', async () => {
    const js = (await as('source-alpha')).nc.jetstream();
    const before = { alpha: await stored('alpha'), beta: await stored('beta') };
    for (const [name, body] of [
      ['not JSON', 'not json'],
      ['no envelope', JSON.stringify({ hello: 'world' })],
      ["beta's envelope under alpha's subject", JSON.stringify(event('beta'))],
      ['nested past the limit', JSON.stringify({ ...event('alpha'), event_data: JSON.parse('['.repeat(100) + ']'.repeat(100)) })],
    ] as const) {
      const refused = await js.publish('events.alpha.c.k.x', body).then(
        () => 'stored',
        (err: Error) => ((err as { api_error?: { code?: number } }).api_error?.code === 400 ? 'refused' : err.message),
      );
      tally.refused('malformed events from a source', refused, 'refused', name);
    }
    expect({ alpha: await stored('alpha'), beta: await stored('beta') }).toEqual(before);
    const letters = await admin.jsm.streams.info(STREAMS.deadletter, { subjects_filter: 'deadletter.alpha.malformed' });
    expect(letters.state.messages).toBeGreaterThanOrEqual(4);
  });

  it('takes the users and accounts `bus add-user` adds into the running nats-server by reload, keeping every stream', async () => {
    const before = await jetStreamState();
    const add = async (role: string) => {
      const lines: string[] = [];
      await busAddUser({
        account: 'gamma',
        role,
        dataDir: dir,
        projectConf: PROJECT_CONF,
        serverPassword: undefined,
        write: (line) => lines.push(line),
      });
      expect(lines.at(-1)).toBe(`nats-server (pid ${server.pid}) reloaded its config: the user and its account apply now.`);
      passwords[`${role}-gamma`] = /^password {2}(\S+)/m.exec(lines.join('\n'))![1]!;
      return lines;
    };
    expect(await add('reader')).toContain(
      "account   READER_gamma, its own: receives events.gamma.> (Switchboard's and its source's, once stored) through a stream import from SWITCHBOARD",
    );
    // A reader connected before its account's source exists: the source's account is added around it.
    const reader = await as('reader-gamma');
    const readerSees: string[] = [];
    reader.nc.subscribe('events.gamma.>', { callback: (err, msg) => void (err || readerSees.push(msg.subject)) });
    reader.nc.subscribe('events.alpha.>');
    tally.refused(
      'bus subscriptions outside the reader account',
      await answer(reader.nc, reader.errors),
      'PERMISSIONS_VIOLATION',
      'reader-gamma: events.alpha.>',
    );
    expect(await add('source')).toContain("connect   { servers: '<NATS_URL>', user: 'source-gamma', pass: '<password>' }");

    const source = await as('source-gamma');
    const published = await publishEvent(source.nc.jetstream(), { ...event('gamma'), event_type: 'by_source' });
    expect(published.duplicate).toBe(false);
    await publishEvent(admin.js, { ...event('gamma'), event_type: 'by_switchboard' });
    source.nc.publish('events.alpha.c.k.x', JSON.stringify(event('alpha')));
    tally.refused(
      'bus publishes outside the source account',
      await answer(source.nc, source.errors),
      'PERMISSIONS_VIOLATION',
      'source-gamma: events.alpha.c.k.x',
    );
    await waitFor('the reader to see both', () => readerSees.length >= 2);
    await reader.nc.flush();
    expect(readerSees.sort()).toEqual(['events.gamma.c.k.by_source', 'events.gamma.c.k.by_switchboard']);
    expect(await stored('gamma')).toBe(2);

    // Everything else as it was: the streams, and the sources that were there before.
    expect(await jetStreamState()).toEqual(withEvents(before, ['events.gamma.c.k.by_source', 'events.gamma.c.k.by_switchboard']));
    expect((await publishEvent((await as('source-alpha')).nc.jetstream(), event('alpha'))).duplicate).toBe(false);
  });
});
