import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';

export interface Machine {
  cores: number;
  cpu: string;
  memoryGb: number;
  os: string;
  node: string;
  natsServer: string;
}

async function natsServerVersion(): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('nats-server', ['--version']);
    return stdout.trim().replace(/^nats-server:\s*/, '');
  } catch {
    return 'unknown';
  }
}

/** What a reader needs to compare figures across machines. */
export async function describeMachine(): Promise<Machine> {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    natsServer: await natsServerVersion(),
  };
}

export function machineLine(machine: Machine): string {
  return `${machine.cores} cores (${machine.cpu}), ${machine.memoryGb} GB, ${machine.os}, Node ${machine.node}, nats-server ${machine.natsServer}`;
}

/**
 * The 1-minute load average against the core count: other processes on a 2-core machine (a test
 * suite, a build) take CPU from nats-server and the benchmark, and the figures drop with it.
 */
export function loadWarning(): string | undefined {
  const [oneMinute = 0] = os.loadavg();
  const cores = os.cpus().length;
  return oneMinute > cores * 0.5
    ? `warning: load average ${oneMinute.toFixed(2)} on ${cores} cores: other processes compete for CPU, figures will be low and noisy`
    : undefined;
}

/** The 1, 5 and 15-minute load averages, printed with the results so a reader can judge the noise. */
export function loadAverages(): string {
  return os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' / ');
}
