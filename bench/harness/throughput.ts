/** One timed run: `events` handled end to end in `seconds`. */
export interface Throughput {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /**
   * CPU time of this whole process (publisher and consumer alike) per event. Unlike events/s it
   * hardly moves when other processes compete for the cores, so it shows the dispatcher's own cost.
   */
  cpuMicrosPerEvent: number;
}

export interface TimingStart {
  ms: number;
  cpu: NodeJS.CpuUsage;
}

export function startTiming(): TimingStart {
  return { ms: performance.now(), cpu: process.cpuUsage() };
}

export function throughput(events: number, start: TimingStart, endMs: number): Throughput {
  const seconds = (endMs - start.ms) / 1000;
  const cpu = process.cpuUsage(start.cpu);
  return { events, seconds, eventsPerSecond: events / seconds, cpuMicrosPerEvent: (cpu.user + cpu.system) / events };
}

/** Long enough for the slowest plausible machine, short enough that a stuck run fails visibly. */
export function runTimeoutMs(events: number): number {
  return 60_000 + events * 5;
}
