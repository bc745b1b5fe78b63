import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times: 100 on every Linux this runs on (USER_HZ). */
const TICKS_PER_SECOND = 100;

export interface ProcSample {
  /** Resident set now, and its high-water mark (VmHWM: the peak since the process started), in bytes. */
  rssBytes: number;
  peakRssBytes: number;
  /** User + system CPU since the process started, in seconds. */
  cpuSeconds: number;
}

function statusField(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc status`);
  return Number(match[1]) * 1024;
}

/** One reading of a process's memory and CPU from /proc (Linux only). */
export function sampleProcess(pid: number): ProcSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  // The command name can hold spaces and parentheses: fields are counted after its closing one.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssBytes: statusField(status, 'VmRSS'), peakRssBytes: statusField(status, 'VmHWM'), cpuSeconds: ticks / TICKS_PER_SECOND };
}

/** This process's children named `name`, by pid. */
export function childPids(name: string): number[] {
  const pids: number[] = [];
  for (const task of readdirSync(`/proc/${process.pid}/task`)) {
    const children = readFileSync(`/proc/${process.pid}/task/${task}/children`, 'utf8').trim();
    for (const pid of children ? children.split(' ').map(Number) : []) {
      try {
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name) pids.push(pid);
      } catch {
        // gone meanwhile
      }
    }
  }
  return pids;
}

export interface RssTimeline {
  /** The highest VmRSS seen by sampling (the processes' sum), and when (ms since the sampler started). */
  maxSampledBytes: number;
  maxSampledAtMs: number;
  samples: number;
  stop(): void;
}

/** The processes' resident sets added up, in bytes. */
export function totalRss(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + sampleProcess(pid).rssBytes, 0);
}

/** Samples the processes' summed RSS every `intervalMs`: the peak sampled next to VmHWM shows when the peak came. */
export function sampleRss(pids: readonly number[], intervalMs = 250): RssTimeline {
  const started = performance.now();
  const timeline: RssTimeline = {
    maxSampledBytes: 0,
    maxSampledAtMs: 0,
    samples: 0,
    stop: () => clearInterval(timer),
  };
  const timer = setInterval(() => {
    try {
      const rssBytes = totalRss(pids);
      timeline.samples++;
      if (rssBytes > timeline.maxSampledBytes) {
        timeline.maxSampledBytes = rssBytes;
        timeline.maxSampledAtMs = performance.now() - started;
      }
    } catch {
      // the process has exited: the last samples stand
    }
  }, intervalMs);
  timer.unref();
  return timeline;
}

/** The nats-server this process started for `natsUrl` (its port is on the command line), if found. */
export function natsServerPid(natsUrl: string): number | undefined {
  const port = new URL(natsUrl).port;
  return childPids('nats-server').find((pid) => {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args[args.indexOf('-p') + 1] === port;
  });
}
