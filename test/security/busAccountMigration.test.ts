import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'nats';
import { afterAll, expect, it } from 'vitest';
import { z } from 'zod';
import { busAddUser } from '../../apps/cli/busAddUser.js';
import {
  busUsersOf,
  CONSUMERS,
  connectBus,
  ensureDurableConsumer,
  ensureNats,
  natsStoreDirOf,
  provisionBus,
  startNatsServer,
  STREAMS,
  type Bus,
  type NatsServerProcess,
} from '#libs/bus';
import { DeadLetters } from '#libs/deadletters';
import { publishEvent } from '#libs/events';
import { DEFAULT_JSON_SHAPE } from '#libs/jsonShape';
import { startBusIngest } from '#libs/ingest';
import { createLogger } from '#libs/logger';
import { freePort } from '../support/ports.js';

/** A pino line, as far as its message. */
const LogLine = z.looseObject({ msg: z.string() });

const PROJECT_CONF = path.resolve(import.meta.dirname, '../../nats.conf');
const TOPOLOGY = { dedupeWindowS: 60, eventsMaxAgeS: 3600 };
let dataDir: string | undefined;
const running: NatsServerProcess[] = [];
const buses: Bus[] = [];

afterAll(async () => {
  await stopAll();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The launcher's path, on a port nothing answers at: it starts nats-server with the generated accounts. */
async function launch(log: string[]): Promise<{ bus: Bus; url: string }> {
  const endpoint = await ensureNats({
    url: `nats://127.0.0.1:${await freePort()}`,
    configFile: PROJECT_CONF,
    dataDir: dataDir!,
    user: undefined,
    password: undefined,
    log: createLogger({ level: 'info' }, { write: (line: string) => void log.push(LogLine.parse(JSON.parse(line)).msg) }),
  });
  running.push(endpoint.server!);
  process.once('exit', () => endpoint.server?.killNow());
  const bus = await connectBus(endpoint.url, { user: endpoint.user, pass: endpoint.pass });
  buses.push(bus);
  return { bus, url: endpoint.url };
}

async function stopAll(): Promise<void> {
  for (const bus of buses.splice(0)) await bus.close();
  for (const server of running.splice(0)) await server.stop();
}

it('moves the streams an earlier version kept in the global account into SWITCHBOARD when the launcher starts nats-server', async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-bus-migration-'));
  const storeDir = natsStoreDirOf(dataDir);
  // Earlier versions: one account ($G) for everyone, its streams in <store>/jetstream/$G.
  const old = await startNatsServer({ port: await freePort(), storeDir });
  running.push(old);
  const before = await connectBus(old.url);
  const buckets = await provisionBus(before, TOPOLOGY);
  const published = await publishEvent(before.js, {
    account_key: 'acme',
    conversation_type: 'c',
    conversation_key: 'k',
    event_type: 'kept',
    event_data: {},
  });
  await buckets.routes.kv.put('acme.rt-1', '{"id":"rt-1"}');
  await ensureDurableConsumer(before, {
    stream: STREAMS.events,
    name: CONSUMERS.dispatcher,
    filter: 'events.>',
    ackWaitMs: 30_000,
    maxAckPending: 100,
  });
  await before.close();
  await old.stop();
  expect(await readdir(path.join(storeDir, 'jetstream'))).toEqual(['$G']);

  // A source added before the upgrade's first start: it publishes into the moved streams.
  const { password } = await busUsersOf(dataDir).add('acme', 'source');
  const log: string[] = [];
  const { bus: after, url } = await launch(log);
  expect(log).toContain('moved the JetStream store of the global account into the SWITCHBOARD account');
  expect(await readdir(path.join(storeDir, 'jetstream'))).toEqual(['SWITCHBOARD']);
  const events = await after.jsm.streams.info(STREAMS.events);
  expect(events.state.messages).toBe(1);
  expect((await after.jsm.streams.getMessage(STREAMS.events, { seq: published.seq })).json()).toEqual(published.event);
  expect((await (await after.js.views.kv('routes')).get('acme.rt-1'))?.string()).toBe('{"id":"rt-1"}');
  expect((await after.jsm.consumers.info(STREAMS.events, CONSUMERS.dispatcher)).num_pending).toBe(1);
  // The same event again is still a duplicate: the deduplication window came along.
  expect((await publishEvent(after.js, published.event)).duplicate).toBe(true);

  // Sources' publishes reach EVENTS through the server's bus ingest.
  const ingest = await startBusIngest({
    bus: after,
    deadLetters: new DeadLetters(after),
    jsonShape: DEFAULT_JSON_SHAPE,
    quotas: { admit: async () => {} },
    log: createLogger({ level: 'silent' }),
  });
  const source = await connect({ servers: url, user: 'source-acme', pass: password });
  const next = await publishEvent(source.jetstream(), { ...published.event, event_id: undefined, event_type: 'after' });
  await source.close();
  await ingest.stop();
  expect(next.seq).toBe(published.seq + 1);
});

it('moves nothing the next time: SWITCHBOARD has its streams', async () => {
  await stopAll();
  const log: string[] = [];
  const { bus } = await launch(log);
  expect(log.some((line) => line.startsWith('moved'))).toBe(false);
  expect((await bus.jsm.streams.info(STREAMS.events)).state.messages).toBe(2);
});

it('leaves a running nats-server of the layout before accounts alone on `bus add-user`, and says to restart', async () => {
  await stopAll();
  const oldDataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-bus-old-'));
  try {
    const users = busUsersOf(oldDataDir);
    const serverPassword = await users.serverPassword(undefined);
    // The config earlier versions generated: users in the global account, no accounts.
    await mkdir(path.dirname(users.configFile), { recursive: true });
    const include = path.relative(path.dirname(users.configFile), PROJECT_CONF);
    await writeFile(
      users.configFile,
      `include ${JSON.stringify(include)}\nauthorization { users: [ { user: "switchboard", password: ${JSON.stringify(serverPassword)} } ] }\n`,
    );
    const old = await startNatsServer({
      configFile: users.configFile,
      port: await freePort(),
      monitorPort: await freePort(),
      storeDir: natsStoreDirOf(oldDataDir),
      pidFile: users.pidFile,
      portsFileDir: users.portsFileDir,
    });
    running.push(old);
    const bus = await connectBus(old.url, { user: 'switchboard', pass: serverPassword });
    buses.push(bus);
    await provisionBus(bus, TOPOLOGY);
    await publishEvent(bus.js, { account_key: 'acme', conversation_type: 'c', conversation_key: 'k', event_type: 'kept', event_data: {} });

    const lines: string[] = [];
    await busAddUser({
      account: 'acme',
      role: 'reader',
      dataDir: oldDataDir,
      projectConf: PROJECT_CONF,
      serverPassword: undefined,
      write: (line) => lines.push(line),
    });
    expect(lines.at(-1)).toBe(
      `nats-server (pid ${old.pid}) runs without NATS accounts: restart Switchboard, which moves its streams into SWITCHBOARD; the user applies then.`,
    );
    // Had it asked nats-server to reload, the accounts would apply within moments; nothing says so when it has not.
    await sleep(1500);
    // Not reloaded: the server user still sees its streams, in the global account.
    const again = await connectBus(old.url, { user: 'switchboard', pass: serverPassword });
    buses.push(again);
    expect((await again.jsm.streams.info(STREAMS.events)).state.messages).toBe(1);
  } finally {
    await stopAll();
    await rm(oldDataDir, { recursive: true, force: true });
  }
});
