import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { connectBus, provisionBus, startNatsServer, type Bus, type NatsServerProcess } from '#libs/bus';
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

/** A suite's own nats-server and a bus connected to it, with the topology provisioned: for suites of the libs below the server. */
export function useTestBus(): { readonly bus: Bus } {
  let nats: TestNats | undefined;
  let bus: Bus | undefined;
  beforeAll(async () => {
    nats = await startTestNats();
    bus = await connectBus(nats.url);
    await provisionBus(bus, { dedupeWindowS: 60, eventsMaxAgeS: 3600 });
  });
  afterAll(async () => {
    await bus?.close();
    await nats?.stop();
  });
  return {
    get bus() {
      if (!bus) throw new Error('the test bus is used before beforeAll has run');
      return bus;
    },
  };
}
