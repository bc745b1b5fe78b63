import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startNatsServer, type NatsServerProcess } from '../../libs/bus/index.js';
import { freePort } from './ports.js';

export interface TestNats {
  url: string;
  storeDir: string;
  /** Stops (or kills) the server and starts it again on the same port and store. */
  restart(options?: { kill?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

const PROJECT_CONF = path.resolve(import.meta.dirname, '../../nats.conf');

/** A suite's own nats-server, from the project's nats.conf, on a free port with its own store. */
export async function startTestNats(): Promise<TestNats> {
  const storeDir = await mkdtemp(path.join(tmpdir(), 'switchboard-nats-'));
  const port = await freePort();
  const monitorPort = await freePort();
  const launch = () => startNatsServer({ configFile: PROJECT_CONF, port, monitorPort, storeDir });
  let server: NatsServerProcess = await launch();
  // A suite that times out never reaches its afterAll: its server must not outlive the test process.
  process.once('exit', () => server.killNow());
  return {
    url: server.url,
    storeDir,
    async restart({ kill = false } = {}) {
      await (kill ? server.kill() : server.stop());
      server = await launch();
    },
    async stop() {
      await server.stop();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}
