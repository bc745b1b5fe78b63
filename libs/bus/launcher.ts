import path from 'node:path';
import type { Logger } from '../logger/index.js';
import { natsAnswers } from './connection.js';
import { startNatsServer, type NatsServerProcess } from './natsServer.js';

export interface EnsureNatsOptions {
  url: string;
  configFile: string;
  dataDir: string;
  log: Logger;
}

/**
 * The embedded default: use the NATS server at `url` when one answers; otherwise start
 * `nats-server -c nats.conf` on that URL's host and port, storing under the data directory.
 */
export async function ensureNats(options: EnsureNatsOptions): Promise<NatsServerProcess | undefined> {
  if (await natsAnswers(options.url)) {
    options.log.info({ url: options.url }, 'using the NATS server that answers at NATS_URL');
    return undefined;
  }
  const { hostname, port: portText } = new URL(options.url.replace(/^nats:/, 'http:'));
  const port = Number(portText || 4222);
  options.log.info({ url: options.url, config: options.configFile }, 'no NATS server answers: starting nats-server');
  const server = await startNatsServer({
    configFile: options.configFile,
    host: hostname,
    port,
    // 4222 -> 8222, nats' usual pair; another client port gets its own monitoring port.
    monitorPort: port + 4000 <= 65535 ? port + 4000 : undefined,
    storeDir: path.join(options.dataDir, 'nats'),
  });
  options.log.info({ url: server.url, pid: server.pid }, 'nats-server started');
  return server;
}
