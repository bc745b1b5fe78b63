import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Simulator } from '#libs/vonage-sim';
import { connectBus, type Bus } from '#libs/bus';
import { freePort } from '../../test/support/ports.js';
import type { BenchContext } from '../harness/benchmark.js';
import { startBenchNats } from '../harness/nats.js';
import { monitorUrl } from './natsMonitor.js';
import type { EscalationSizes } from './options.js';
import { natsServerPid } from './procStats.js';
import { startBenchServer, type BenchServer } from './serverProcess.js';
import { startBenchSimulator } from './simulator.js';

/** What a run works against: its nats-server, the simulator, the server process(es), a bus connection. */
export interface Environment {
  natsUrl: string;
  natsPid: number | undefined;
  /** nats-server's monitoring URL (connections, consumers), when found. */
  monitor: string | undefined;
  sim: Simulator;
  server: BenchServer;
  serverPids: number[];
  /** The process serving HTTP, and the data dir it keeps its token secret in. */
  front: { url: string; dataDir: string };
  bus: Bus;
}

/** Starts everything in order (the simulator first: the server's VONAGE_* settings point at it); the runner's cleanups stop it all. */
export async function startEnvironment(ctx: BenchContext, sizes: EscalationSizes, expectedSends: number): Promise<Environment> {
  const nats = await startBenchNats(ctx);
  const natsPid = natsServerPid(nats.url);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-bench-esc-'));
  ctx.defer(() => rm(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const { sim, vonageEnv } = await startBenchSimulator(ctx, {
    serverPort: port,
    timeScale: sizes.scale,
    maxMessages: expectedSends * 2 + 10_000,
  });
  const processes = sizes.processes === 1 ? 'the server process' : `${sizes.processes} server processes`;
  ctx.progress(
    `starting ${processes} (SWITCHBOARD_TIME_SCALE=${sizes.scale}, LOG_LEVEL=warn${sizes.cpuProfDir ? `, CPU profile into ${sizes.cpuProfDir}` : ''})`,
  );
  const server = await startBenchServer(ctx, {
    natsUrl: nats.url,
    dataDir,
    port,
    timeScale: sizes.scale,
    vonageEnv,
    cpuProfDir: sizes.cpuProfDir,
    processes: sizes.processes,
  });
  const bus = await connectBus(nats.url, { name: 'bench escalations' });
  ctx.defer(() => bus.close());
  return {
    natsUrl: nats.url,
    natsPid,
    monitor: natsPid === undefined ? undefined : monitorUrl(natsPid),
    sim,
    server,
    serverPids: server.processes.map((one) => one.process.pid),
    front: { url: server.processes[0]!.process.url!, dataDir },
    bus,
  };
}
