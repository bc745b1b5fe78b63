import type { Figure } from '../harness/benchmark.js';
import { formatNumber, textTable } from '../harness/table.js';
import type { Comparison } from './comparison.js';
import type { LatencyRun } from '../harness/latencyRun.js';
import type { DispatchSizes } from './session.js';

export interface ConcurrencyFigure {
  concurrency: number;
  eventsPerSecond: number;
}

const rate = (value: number) => formatNumber(value);
const ms = (value: number) => formatNumber(value, 2);
const cpu = (value: number) => formatNumber(value, 1);

export function comparisonTable(compared: Comparison): string {
  const row = (label: string, one: Omit<Comparison, 'reps'>) => [
    label,
    rate(one.raw),
    rate(one.switchboard),
    one.ratio.toFixed(3),
    cpu(one.rawCpu),
    cpu(one.switchboardCpu),
  ];
  return textTable({
    columns: ['repetition', 'raw JetStream events/s', 'Switchboard events/s', 'ratio', 'raw CPU µs/event', 'Switchboard CPU µs/event'],
    rows: [...compared.reps.map((one, index) => row(String(index + 1), one)), row('median', compared)],
  });
}

export function concurrencyTable(sweep: readonly ConcurrencyFigure[], rawMedian: number, defaultConcurrency: number): string {
  return textTable({
    columns: ['SWITCHBOARD_CONCURRENCY', 'Switchboard events/s (median)', 'ratio to raw median'],
    rows: [...sweep]
      .sort((a, b) => a.concurrency - b.concurrency)
      .map((one) => [
        `${one.concurrency}${one.concurrency === defaultConcurrency ? ' (default)' : ''}`,
        rate(one.eventsPerSecond),
        (one.eventsPerSecond / rawMedian).toFixed(3),
      ]),
  });
}

export function dispatchFigures(
  sizes: DispatchSizes,
  defaultConcurrency: number,
  compared: Comparison,
  others: readonly ConcurrencyFigure[],
  latency: LatencyRun,
): Figure[] {
  return [
    { name: `raw JetStream publish+consume+ack, median of ${sizes.reps}`, value: compared.raw, unit: 'events/s' },
    {
      name: `Switchboard dispatch (log route, concurrency ${defaultConcurrency}), median of ${sizes.reps}`,
      value: compared.switchboard,
      unit: 'events/s',
    },
    {
      name: 'ratio Switchboard / raw, median of per-repetition ratios',
      value: compared.ratio,
      unit: '',
      decimals: 3,
      target: { op: '>=', value: 0.6 },
    },
    { name: 'bench process CPU per event, raw JetStream (median)', value: compared.rawCpu, unit: 'µs', decimals: 1 },
    { name: 'bench process CPU per event, Switchboard (median)', value: compared.switchboardCpu, unit: 'µs', decimals: 1 },
    ...others.map((one): Figure => ({
      name: `Switchboard dispatch, concurrency ${one.concurrency}, median of ${sizes.sweepReps}`,
      value: one.eventsPerSecond,
      unit: 'events/s',
    })),
    { name: `latency p50 at ${sizes.rate}/s`, value: latency.p50, unit: 'ms', decimals: 2 },
    { name: `latency p90 at ${sizes.rate}/s`, value: latency.p90, unit: 'ms', decimals: 2 },
    { name: `latency p99 at ${sizes.rate}/s`, value: latency.p99, unit: 'ms', decimals: 2, target: { op: '<=', value: 25 } },
    { name: `latency max at ${sizes.rate}/s`, value: latency.max, unit: 'ms', decimals: 2 },
  ];
}

export function dispatchNotes(sizes: DispatchSizes, latency: LatencyRun): string[] {
  return [
    `${formatNumber(sizes.events)} events per repetition (${formatNumber(sizes.warmup)} warm-up events discarded), publish window ${sizes.window}`,
    `latency: ${formatNumber(latency.events)} events at ${sizes.rate}/s (achieved ${rate(latency.achievedRate)}/s, max send lag ${ms(latency.maxSendLagMs)} ms)`,
  ];
}
