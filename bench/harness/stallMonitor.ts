import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

export interface Stalls {
  /** Event loop delay (how late timers ran): this process busy or starved of CPU. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
}

/**
 * Watches this process while a latency run goes on, so a slow percentile can be told apart:
 * garbage collection, or the event loop busy or descheduled (another process on the cores).
 */
export function startStallMonitor(): { stop(): Stalls } {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const gcPauses: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcPauses.push(entry.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop() {
      loop.disable();
      observer.disconnect();
      return {
        loopDelayP99Ms: loop.percentile(99) / 1e6,
        loopDelayMaxMs: loop.max / 1e6,
        gcCount: gcPauses.length,
        gcTotalMs: gcPauses.reduce((sum, pause) => sum + pause, 0),
        gcMaxMs: Math.max(0, ...gcPauses),
      };
    },
  };
}
