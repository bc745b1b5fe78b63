import type { Figure } from '../harness/benchmark.js';
import { formatNumber, textTable } from '../harness/table.js';
import type { LoadRun } from './load.js';
import type { HooksSizes } from './options.js';

export interface CheckedRun extends LoadRun {
  /** Launch events per hook after the run: must be exactly one each. */
  launches: number;
  /** Compare-and-set writes of the pending launch (one hook runs only): coalescing at work. */
  debounceWrites: number | undefined;
}

export function runsTable(runs: readonly CheckedRun[]): string {
  return textTable({
    columns: ['run', 'hooks', 'calls', 'calls/s', 'p50 ms', 'p99 ms', 'max ms', 'server CPU µs/call', 'debounce writes', 'launches'],
    rows: runs.map((run) => [
      run.name,
      run.hooks,
      formatNumber(run.calls),
      formatNumber(run.callsPerSecond),
      formatNumber(run.p50Ms, 1),
      formatNumber(run.p99Ms, 1),
      formatNumber(run.maxMs, 1),
      formatNumber(run.serverCpuUsPerCall),
      run.debounceWrites === undefined ? '-' : formatNumber(run.debounceWrites),
      run.launches,
    ]),
  });
}

export function hooksFigures(runs: readonly CheckedRun[]): Figure[] {
  return runs.flatMap((run): Figure[] => [
    { name: `hook calls/s, ${run.name}`, value: run.callsPerSecond, unit: 'calls/s' },
    { name: `hook call latency p99, ${run.name}`, value: run.p99Ms, unit: 'ms', decimals: 1 },
  ]);
}

export function hooksNotes(sizes: HooksSizes, audience: number): string[] {
  return [
    `each run: ${sizes.seconds} s of autocannon, ${sizes.connections} connections, on loopback; server in its own process (npm start, every role)`,
    `after each run every hook launched exactly once, its event carrying the ${audience} contacts of its audience (checked)`,
  ];
}
