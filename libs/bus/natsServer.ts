import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { SwitchboardError } from '#libs/errors';
import { natsAnswers } from './connection.js';

export interface NatsServerOptions {
  /**
   * The nats.conf to start from; the port and monitoring port flags override its own, and its
   * `store_dir` reads SWITCHBOARD_NATS_STORE_DIR, which is set from `storeDir`.
   */
  configFile?: string;
  host?: string;
  port: number;
  monitorPort?: number;
  storeDir: string;
  binary?: string;
  /** Where nats-server writes its pid, so `switchboard bus add-user` can make it reload its users. */
  pidFile?: string;
  /** Where nats-server writes its ports file (`<binary>_<pid>.ports`), which names its monitoring URL. */
  portsFileDir?: string;
  readyTimeoutMs?: number;
}

export interface NatsServerProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
  /** For tests of crash recovery: SIGKILL, no cleanup. */
  kill(): Promise<void>;
  /** SIGKILL without waiting, for process exit handlers. */
  killNow(): void;
}

const INSTALL_HINT =
  'install it first: `sudo apt-get install nats-server` (Debian/Ubuntu), `brew install nats-server` (macOS), or see https://docs.nats.io/running-a-nats-service/introduction/installation';

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function exited(child: ChildProcess): Promise<void> {
  return hasExited(child) ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts nats-server as a child process with JetStream on, and waits until it answers. */
export async function startNatsServer(options: NatsServerOptions): Promise<NatsServerProcess> {
  const host = options.host ?? '127.0.0.1';
  await mkdir(options.storeDir, { recursive: true });
  const args = [
    ...(options.configFile ? ['-c', options.configFile] : ['-js', '-sd', options.storeDir]),
    '-a',
    host,
    '-p',
    String(options.port),
    ...(options.monitorPort !== undefined ? ['-m', String(options.monitorPort)] : []),
    ...(options.pidFile ? ['-P', options.pidFile] : []),
    ...(options.portsFileDir ? ['--ports_file_dir', options.portsFileDir] : []),
  ];
  const child = spawn(options.binary ?? 'nats-server', args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SWITCHBOARD_NATS_STORE_DIR: options.storeDir },
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const url = `nats://${host}:${options.port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 10_000);

  for (;;) {
    const failure = await Promise.race([spawnError, sleep(100).then(() => undefined)]);
    if (failure) {
      const missing = (failure as NodeJS.ErrnoException).code === 'ENOENT';
      throw new SwitchboardError(
        'unavailable',
        missing ? `nats-server was not found on PATH: ${INSTALL_HINT}` : `nats-server failed to start: ${failure.message}`,
      );
    }
    if (hasExited(child)) {
      throw new SwitchboardError('unavailable', `nats-server exited with code ${child.exitCode}: ${stderr.trim()}`);
    }
    if (await natsAnswers(url, 500)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new SwitchboardError('unavailable', `nats-server did not answer at ${url} in time: ${stderr.trim()}`);
    }
  }

  return {
    url,
    pid: child.pid ?? -1,
    async stop() {
      if (hasExited(child)) return;
      child.kill('SIGTERM');
      await exited(child);
    },
    async kill() {
      if (hasExited(child)) return;
      child.kill('SIGKILL');
      await exited(child);
    },
    killNow() {
      if (!hasExited(child)) child.kill('SIGKILL');
    },
  };
}
