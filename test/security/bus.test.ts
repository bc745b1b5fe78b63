import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusUsers, connectBus, inboxPrefix, provisionBus, SERVER_USER, startNatsServer, STREAMS, type Bus, type NatsServerProcess } from '../../libs/bus/index.js';
import { publishEvent } from '../../libs/events/index.js';
import { freePort } from '../support/ports.js';
import { AttackTally } from './tally.js';

const PROJECT_CONF = path.resolve(import.meta.dirname, '../../nats.conf');
const tally = new AttackTally();
let dir: string;
let server: NatsServerProcess;
let admin: Bus;
const passwords: Record<string, string> = {};
const open: NatsConnection[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'switchboard-bus-'));
  const users = new BusUsers(path.join(dir, 'nats'));
  for (const [account, role] of [['alpha', 'source'], ['beta', 'source'], ['alpha', 'reader']] as const) {
    passwords[`${role}-${account}`] = (await users.add(account, role)).password;
  }
  const serverPassword = await users.serverPassword(undefined);
  // The project's nats.conf, with the users Switchboard generates for it.
  const configFile = await users.writeServerConfig(PROJECT_CONF, serverPassword);
  server = await startNatsServer({ configFile, port: await freePort(), monitorPort: await freePort(), storeDir: path.join(dir, 'nats') });
  admin = await connectBus(server.url, { user: SERVER_USER, pass: serverPassword });
  await provisionBus(admin, { dedupeWindowS: 60, eventsMaxAgeS: 3600 });
});

afterAll(async () => {
  console.log(tally.summary());
  for (const nc of open) await nc.close().catch(() => undefined);
  await admin?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function as(user: string, role: 'source' | 'reader', account: string): Promise<{ nc: NatsConnection; errors: string[] }> {
  const nc = await connect({ servers: server.url, user, pass: passwords[user], inboxPrefix: inboxPrefix(role, account) });
  open.push(nc);
  const errors: string[] = [];
  void (async () => {
    for await (const status of nc.status()) if (status.type === 'error') errors.push(String(status.data));
  })();
  return { nc, errors };
}

/** What the server answered to the last action: a permissions violation, or nothing (accepted). */
async function answer(nc: NatsConnection, errors: string[]): Promise<string> {
  await nc.flush();
  await sleep(50);
  const last = errors.at(-1) ?? 'accepted';
  errors.length = 0;
  return last;
}

async function stored(account: string): Promise<number> {
  const info = await admin.jsm.streams.info(STREAMS.events, { subjects_filter: `events.${account}.>` });
  return Object.values(info.state.subjects ?? {}).reduce((sum, count) => sum + count, 0);
}

const event = (account: string) => ({ account_key: account, conversation_type: 'c', conversation_key: 'k', event_type: 'x', event_data: {} });

describe('the bus, with the users nats.conf defines', () => {
  it('refuses anonymous connections and wrong passwords', async () => {
    for (const [name, options] of [
      ['anonymous', {}],
      ['a wrong password', { user: 'source-alpha', pass: 'guess' }],
      ['an unknown user', { user: 'source-gamma', pass: 'x' }],
    ] as const) {
      const outcome = await connect({ servers: server.url, ...options, reconnect: false }).then(
        async (nc) => (await nc.close(), 'connected'),
        (err: Error) => (/authoriz/i.test(err.message) ? 'refused' : err.message),
      );
      tally.refused('bus connections without valid credentials', outcome, 'refused', name);
    }
  });

  it("refuses a source of account A publishing to account B's subjects; its own go through", async () => {
    const { nc, errors } = await as('source-alpha', 'source', 'alpha');
    const before = await stored('beta');
    for (const subject of ['events.beta.c.k.x', 'events.beta.poll.p.poll_complete', 'deadletter.beta.x', 'timers.escalation.x', '$JS.API.STREAM.DELETE.EVENTS']) {
      nc.publish(subject, JSON.stringify(event('beta')));
      tally.refused('bus publishes outside the source account', await answer(nc, errors), 'PERMISSIONS_VIOLATION', subject);
    }
    await sleep(200);
    expect(await stored('beta')).toBe(before);
    expect((await admin.jsm.streams.info(STREAMS.events)).config.name).toBe('EVENTS');
    // Its own account: published through JetStream, acknowledged on its own inbox prefix.
    const js = nc.jetstream();
    await publishEvent(js, event('alpha'));
    expect(await stored('alpha')).toBe(1);
  });

  it('lets a source read nothing, not even its own account', async () => {
    const { nc, errors } = await as('source-alpha', 'source', 'alpha');
    for (const subject of ['events.alpha.>', '_INBOX.>', '$JS.API.>']) {
      nc.subscribe(subject);
      tally.refused('bus subscriptions by a source', await answer(nc, errors), 'PERMISSIONS_VIOLATION', subject);
    }
  });

  it('shows a reader of A nothing of B, and lets it publish nothing', async () => {
    const { nc, errors } = await as('reader-alpha', 'reader', 'alpha');
    const seen: string[] = [];
    const own = nc.subscribe('events.alpha.>', { callback: (err, msg) => void (err || seen.push(msg.subject)) });
    expect(await answer(nc, errors)).toBe('accepted');
    for (const subject of ['events.beta.>', 'events.*.>', '>', '_INBOX.>']) {
      nc.subscribe(subject, { callback: (err, msg) => void (err || seen.push(msg.subject)) });
      tally.refused('bus subscriptions outside the reader account', await answer(nc, errors), 'PERMISSIONS_VIOLATION', subject);
    }
    await publishEvent(admin.js, event('beta'));
    await publishEvent(admin.js, event('alpha'));
    await sleep(300);
    expect(seen.every((subject) => subject.startsWith('events.alpha.'))).toBe(true);
    expect(seen).toHaveLength(1);
    nc.publish('events.alpha.c.k.x', 'forged');
    tally.refused('bus publishes by a reader', await answer(nc, errors), 'PERMISSIONS_VIOLATION', 'events.alpha.c.k.x');
    own.unsubscribe();
  });
});
