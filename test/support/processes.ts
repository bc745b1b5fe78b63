import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface SwitchboardProcess {
  pid: number;
  /** The HTTP API's URL, when the process serves HTTP. */
  url: string | undefined;
  /** Every JSON log line the process printed so far. */
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** `npm start` as a real child process (node + tsx, as the npm script runs it), ready when it says so. */
export async function spawnSwitchboard(env: Record<string, string>, args: string[] = []): Promise<SwitchboardProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/server/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  let url: string | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('{')) {
        try {
          logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // a partial line: ignore
        }
        return;
      }
      const http = /HTTP API\s+(\S+)/.exec(line);
      if (http) url = http[1];
      if (line.includes('Ctrl-C stops everything')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`switchboard exited with ${code} before it was ready: ${stderr}`)));
  });
  await ready;
  return {
    pid: child.pid!,
    get url() {
      return url;
    },
    logs,
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}
