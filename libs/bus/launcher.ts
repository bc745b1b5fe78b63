import path from 'node:path';
import type { Logger } from '#libs/logger';
import { BusUsers, SERVER_USER } from './busUsers.js';
import { connectBus, natsAnswers, type Bus } from './connection.js';
import { logNatsOverrides } from './natsOverrides/index.js';
import { startNatsServer, type NatsServerProcess } from './natsServer.js';
import { moveGlobalAccountStore } from './storeMigration.js';

export interface EnsureNatsOptions {
  url: string;
  configFile: string;
  dataDir: string;
  /** Credentials for the server that answers at `url`; for one started here, its password. */
  user: string | undefined;
  password: string | undefined;
  log: Logger;
}

export interface NatsEndpoint {
  url: string;
  user: string | undefined;
  pass: string | undefined;
  /** The nats-server started here, if one had to be. */
  server: NatsServerProcess | undefined;
}

/** Where a data directory keeps nats-server's store (and, beside it, the bus users). */
export function natsStoreDirOf(dataDir: string): string {
  return path.join(dataDir, 'nats');
}

/** Where the bus users of a data directory live. */
export function busUsersOf(dataDir: string): BusUsers {
  return new BusUsers(natsStoreDirOf(dataDir));
}

/**
 * The embedded default: use the NATS server at `url` when one answers; otherwise start
 * nats-server on that URL's host and port with nats.conf and the bus accounts and users (the
 * server role's password generated at set-up), storing under the data directory, where streams
 * an earlier version kept in the global account are first moved into Switchboard's.
 */
export async function ensureNats(options: EnsureNatsOptions): Promise<NatsEndpoint> {
  const users = busUsersOf(options.dataDir);
  if (await natsAnswers(options.url)) {
    options.log.info({ url: options.url }, 'using the NATS server that answers at NATS_URL');
    // Another process sharing this data directory may have started it: its server user applies.
    const stored = options.password ? undefined : await users.storedServerPassword();
    return stored
      ? { url: options.url, user: SERVER_USER, pass: stored, server: undefined }
      : { url: options.url, user: options.user, pass: options.password, server: undefined };
  }
  const password = await users.serverPassword(options.password);
  const { hostname, port: portText } = new URL(options.url.replace(/^nats:/, 'http:'));
  const port = Number(portText || 4222);
  options.log.info({ url: options.url, config: options.configFile }, 'no NATS server answers: starting nats-server');
  const storeDir = natsStoreDirOf(options.dataDir);
  await moveGlobalAccountStore(storeDir, options.log);
  const server = await startNatsServer({
    configFile: await users.writeServerConfig(options.configFile, password),
    pidFile: users.pidFile,
    portsFileDir: users.portsFileDir,
    host: hostname,
    port,
    // 4222 -> 8222, nats' usual pair; another client port gets its own monitoring port.
    monitorPort: port + 4000 <= 65535 ? port + 4000 : undefined,
    storeDir,
  });
  options.log.info({ url: server.url, pid: server.pid }, 'nats-server started');
  return { url: server.url, user: SERVER_USER, pass: password, server };
}

/** Where a process finds (or starts) its NATS server: the settings every Switchboard process shares. */
export interface BusSettings {
  natsUrl: string;
  natsConf: string;
  dataDir: string;
  natsUser: string | undefined;
  natsPassword: string | undefined;
}

/** ensureNats, then a connection as the server user: what every Switchboard process starts with. */
export async function openBus(settings: BusSettings, name: string, log: Logger): Promise<NatsEndpoint & { bus: Bus }> {
  const options: EnsureNatsOptions = {
    url: settings.natsUrl,
    configFile: settings.natsConf,
    dataDir: settings.dataDir,
    user: settings.natsUser,
    password: settings.natsPassword,
    log,
  };
  const endpoint = await ensureNats(options);
  try {
    logNatsOverrides(log);
    return { ...endpoint, bus: await connectBus(endpoint.url, { name, user: endpoint.user, pass: endpoint.pass }) };
  } catch (err) {
    await endpoint.server?.stop();
    throw err;
  }
}
