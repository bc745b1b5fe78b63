import type { Stalls } from './stallMonitor.js';
import { percentileOfSorted } from './stats.js';
import { formatNumber, textTable } from './table.js';

/** An open-loop latency run: what was offered, what was achieved, and the percentiles. */
export interface LatencyRun {
  rate: number;
  events: number;
  achievedRate: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** How late the generator sent its latest event against its schedule: a large value means the figures understate latency. */
  maxSendLagMs: number;
  stalls: Stalls;
}

/** The run's figures: `events` sent at `rate`, each one's latency (ms), how the paced sender kept its schedule. */
export function latencyRun(options: {
  rate: number;
  events: number;
  latencies: readonly number[];
  sending: { seconds: number; maxSendLagMs: number };
  stalls: Stalls;
}): LatencyRun {
  const { rate, events, sending, stalls } = options;
  const sorted = [...options.latencies].sort((a, b) => a - b);
  return {
    rate,
    events,
    achievedRate: events / sending.seconds,
    p50: percentileOfSorted(sorted, 50),
    p90: percentileOfSorted(sorted, 90),
    p99: percentileOfSorted(sorted, 99),
    max: sorted[sorted.length - 1]!,
    maxSendLagMs: sending.maxSendLagMs,
    stalls,
  };
}

const ms = (value: number) => formatNumber(value, 2);

/** The run's figures, and what this process's event loop and GC did meanwhile; `unit` names what was counted. */
export function latencyTables(latency: LatencyRun, unit: string): string {
  const { stalls } = latency;
  return [
    textTable({
      columns: ['target rate/s', 'achieved rate/s', unit, 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'max send lag ms'],
      rows: [
        [
          formatNumber(latency.rate),
          formatNumber(latency.achievedRate),
          formatNumber(latency.events),
          ms(latency.p50),
          ms(latency.p90),
          ms(latency.p99),
          ms(latency.max),
          ms(latency.maxSendLagMs),
        ],
      ],
    }),
    textTable({
      columns: ['during the latency run', 'loop delay p99 ms', 'loop delay max ms', 'GCs', 'GC total ms', 'GC max ms'],
      rows: [
        ['this process', ms(stalls.loopDelayP99Ms), ms(stalls.loopDelayMaxMs), stalls.gcCount, ms(stalls.gcTotalMs), ms(stalls.gcMaxMs)],
      ],
    }),
  ].join('\n\n');
}
