import type { Figure } from '../harness/benchmark.js';
import { median } from '../harness/stats.js';
import { formatNumber, textTable } from '../harness/table.js';
import type { DeliveriesSizes } from './options.js';
import type { DeliveryRun } from './runs.js';
import type { LatencyRun } from '../harness/latencyRun.js';

const ms = (value: number) => formatNumber(value, 2);

export function throughputTable(runs: readonly DeliveryRun[]): string {
  return textTable({
    columns: ['repetition', 'deliveries', 'seconds', 'deliveries/s', 'CPU µs/delivery', 'repeated POSTs'],
    rows: runs.map((run, index) => [
      String(index + 1),
      formatNumber(run.events),
      run.seconds.toFixed(2),
      formatNumber(run.eventsPerSecond),
      formatNumber(run.cpuMicrosPerEvent, 1),
      run.repeats,
    ]),
  });
}

export function deliveriesFigures(sizes: DeliveriesSizes, runs: readonly DeliveryRun[], latency: LatencyRun): Figure[] {
  return [
    {
      name: `webhook deliveries (published → POSTed → 2xx → acknowledged), median of ${sizes.reps}`,
      value: median(runs.map((run) => run.eventsPerSecond)),
      unit: 'deliveries/s',
    },
    {
      name: 'bench process CPU per delivery (Switchboard and publisher; the receiver runs apart), median',
      value: median(runs.map((run) => run.cpuMicrosPerEvent)),
      unit: 'µs',
      decimals: 1,
    },
    {
      name: 'repeated POSTs over all throughput runs',
      value: runs.reduce((sum, run) => sum + run.repeats, 0),
      unit: '',
      target: { op: '<=', value: 0 },
    },
    { name: `delivery latency p50 at ${sizes.rate}/s (publish → POST received)`, value: latency.p50, unit: 'ms', decimals: 2 },
    { name: `delivery latency p90 at ${sizes.rate}/s`, value: latency.p90, unit: 'ms', decimals: 2 },
    { name: `delivery latency p99 at ${sizes.rate}/s`, value: latency.p99, unit: 'ms', decimals: 2 },
    { name: `delivery latency max at ${sizes.rate}/s`, value: latency.max, unit: 'ms', decimals: 2 },
  ];
}

export function deliveriesNotes(sizes: DeliveriesSizes, latency: LatencyRun, concurrency: number): string[] {
  return [
    `${formatNumber(sizes.events)} events per repetition, one subscription matching each (${formatNumber(sizes.warmup)} warm-up deliveries discarded), publish window ${sizes.window}, SWITCHBOARD_DELIVERY_CONCURRENCY=${concurrency}`,
    `latency: ${formatNumber(latency.events)} events at ${sizes.rate}/s (achieved ${formatNumber(latency.achievedRate)}/s, max send lag ${ms(latency.maxSendLagMs)} ms)`,
  ];
}
