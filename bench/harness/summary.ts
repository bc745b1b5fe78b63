import { targetMet, type BenchmarkResult, type Figure } from './benchmark.js';
import { formatNumber, type Table } from './table.js';

export interface BenchmarkOutcome {
  name: string;
  result?: BenchmarkResult;
  error?: string;
}

function targetText(figure: Figure): string {
  return figure.target ? `${figure.target.op} ${figure.target.value}` : '';
}

function verdict(figure: Figure): string {
  const met = targetMet(figure);
  return met === undefined ? '' : met ? 'met' : 'MISSED';
}

/** One row per figure of every benchmark, with its target and whether it was met. */
export function summaryTable(outcomes: readonly BenchmarkOutcome[]): Table {
  const rows = outcomes.flatMap((outcome) =>
    outcome.result
      ? outcome.result.figures.map((figure) => [
          outcome.name,
          figure.name,
          formatNumber(figure.value, figure.decimals ?? 0),
          figure.unit,
          targetText(figure),
          verdict(figure),
        ])
      : [[outcome.name, `FAILED: ${outcome.error ?? 'unknown error'}`, '', '', '', '']],
  );
  return {
    columns: ['benchmark', 'figure', 'value', 'unit', 'target', 'status'],
    rows,
    alignRight: [false, false, true, false, false, false],
  };
}
