import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROLES } from '#libs/config';
import { spawnSwitchboard, type SwitchboardProcess } from '../../test/support/processes.js';
import type { BenchContext } from '../harness/benchmark.js';
import { once } from '../harness/once.js';

/** The preload that profiles the server; NODE_OPTIONS runs before the command line's --import tsx, so it registers tsx itself. */
const PROFILER = fileURLToPath(new URL('./cpuProfiler.ts', import.meta.url));

export interface ServerOptions {
  natsUrl: string;
  dataDir: string;
  port: number;
  timeScale: number;
  vonageEnv: Record<string, string>;
  cpuProfDir: string | undefined;
  /** 1: every role in one process, as `npm start`; n > 1: every role but the engine in the first, the engine in the n - 1 others. */
  processes: number;
}

export interface BenchServerProcess {
  process: SwitchboardProcess;
  roles: string;
}

export interface BenchServer {
  /** The first serves HTTP (the API, the simulator's webhooks). */
  processes: BenchServerProcess[];
  /** SIGTERM and wait, every process: each writes its CPU profile, if asked for one, as it exits. */
  stop(): Promise<void>;
}

/** The --role argument of each process; none for the single process, which takes every role. */
function roleSplit(processes: number): Array<string | undefined> {
  if (processes === 1) return [undefined];
  const front = ROLES.filter((role) => role !== 'engine').join(',');
  return [front, ...Array.from({ length: processes - 1 }, () => 'engine')];
}

/**
 * `npm start` as its own process (or processes, split by role as DESIGN.md allows), talking to
 * the benchmark's simulator as it would to Vonage. Product defaults, except LOG_LEVEL=warn (info
 * lines per send would measure log I/O) and the run's time scale.
 */
export async function startBenchServer(ctx: BenchContext, options: ServerOptions): Promise<BenchServer> {
  const profile = options.cpuProfDir ? path.resolve(options.cpuProfDir) : undefined;
  if (profile) await mkdir(profile, { recursive: true });
  const env = {
    NATS_URL: options.natsUrl,
    HOST: '127.0.0.1',
    PORT: String(options.port),
    SWITCHBOARD_DATA_DIR: options.dataDir,
    SWITCHBOARD_SIM_PORT: '0',
    LOG_LEVEL: 'warn',
    SWITCHBOARD_TIME_SCALE: String(options.timeScale),
    ...options.vonageEnv,
    ...(profile ? { NODE_OPTIONS: `--import tsx --import ${PROFILER}`, BENCH_CPU_PROFILE_DIR: profile } : {}),
  };
  const processes: BenchServerProcess[] = [];
  const stop = once(async () => {
    await Promise.all(processes.map((one) => one.process.stop()));
  });
  ctx.defer(stop);
  // One after another: the first creates the server secret in the shared data dir that the others read.
  for (const roles of roleSplit(options.processes)) {
    processes.push({ process: await spawnSwitchboard(env, roles ? ['--role', roles] : []), roles: roles ?? 'all' });
  }
  return { processes, stop };
}
