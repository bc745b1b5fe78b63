import { readFileSync } from 'node:fs';
import { sampleProcess } from './procStats.js';

/** USER_HZ: /proc/stat counts in hundredths of a second. */
const TICKS_PER_SECOND = 100;

/** Cumulative CPU seconds of the three processes that share the cores during a run. */
export interface CpuReading {
  at: number;
  server: number;
  nats: number;
  /** This process: the simulator and the trigger source. */
  bench: number;
  /** Every process on the machine (busy time of all cores, from /proc/stat). */
  machine: number;
}

/** Busy CPU seconds of the whole machine since boot: everything but idle and iowait. */
function machineBusySeconds(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks.map(Number);
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

/** The server's processes count as one: its share may pass a core when it runs as several. */
export function readCpu(serverPids: readonly number[], natsPid: number | undefined): CpuReading {
  const own = process.cpuUsage();
  return {
    at: performance.now(),
    server: serverPids.reduce((sum, pid) => sum + sampleProcess(pid).cpuSeconds, 0),
    nats: natsPid === undefined ? Number.NaN : sampleProcess(natsPid).cpuSeconds,
    bench: (own.user + own.system) / 1e6,
    machine: machineBusySeconds(),
  };
}

export interface CpuShares {
  server: number;
  nats: number;
  bench: number;
  /** Processes that are not the benchmark's: on a shared machine they take cores from it. */
  others: number;
  seconds: number;
}

/** Share of one core each used between two readings (1 = a whole core). */
export function cpuShares(from: CpuReading, to: CpuReading): CpuShares {
  const seconds = (to.at - from.at) / 1000;
  const share = (key: 'server' | 'nats' | 'bench' | 'machine') => (to[key] - from[key]) / seconds;
  const ours = share('server') + (Number.isNaN(share('nats')) ? 0 : share('nats')) + share('bench');
  return { server: share('server'), nats: share('nats'), bench: share('bench'), others: Math.max(0, share('machine') - ours), seconds };
}
