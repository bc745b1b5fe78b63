import { BENCHMARKS } from './benchmarks.js';
import { parseRunnerArgs, USAGE } from './harness/args.js';
import type { BenchContext, Benchmark } from './harness/benchmark.js';
import { Cleanups } from './harness/cleanups.js';
import { calibrationLine, nodeCalibration } from './harness/calibration.js';
import { describeMachine, loadAverages, loadWarning, machineLine } from './harness/machine.js';
import { summaryTable, type BenchmarkOutcome } from './harness/summary.js';
import { markdownTable, textTable } from './harness/table.js';

/**
 * `npm run bench [-- name ... --quick --markdown --key=value]`: runs the named benchmarks (all by
 * default) one after another, each on its own nats-server, and prints a summary of their figures.
 * It writes no files; `--markdown` prints the summary once more as a table for docs/benchmarks.md.
 */
const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

let current: Cleanups | undefined;

// Ctrl-C mid-run still stops the benchmark's nats-server and removes its temp dirs.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    err(`\n${signal}: cleaning up`);
    // The benchmark's work in flight fails as its connections close: expected, and not a reason to skip the cleanups.
    process.on('unhandledRejection', () => undefined);
    void (current?.runAll((error) => err(`cleanup failed: ${message(error)}`)) ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

function select(names: readonly string[]): Benchmark[] {
  if (names.length === 0) return [...BENCHMARKS];
  return names.map((name) => {
    const found = BENCHMARKS.find((benchmark) => benchmark.name === name);
    if (!found) throw new Error(`no benchmark "${name}": there are ${BENCHMARKS.map((benchmark) => benchmark.name).join(', ')}`);
    return found;
  });
}

/** A misspelt option would silently measure the defaults: refuse what no selected benchmark reads. */
function checkParams(selected: readonly Benchmark[], params: ReadonlyMap<string, string>): void {
  for (const key of params.keys()) {
    if (!selected.some((benchmark) => Object.hasOwn(benchmark.options, key))) {
      throw new Error(`no selected benchmark takes --${key}; see --help for the options`);
    }
  }
}

async function runOne(benchmark: Benchmark, params: ReadonlyMap<string, string>, quick: boolean): Promise<BenchmarkOutcome> {
  const cleanups = new Cleanups();
  current = cleanups;
  const ctx: BenchContext = { params, quick, print: out, progress: err, defer: (cleanup) => cleanups.add(cleanup) };
  out(`\n== ${benchmark.name}: ${benchmark.description}\n`);
  try {
    const result = await benchmark.run(ctx);
    for (const note of result.notes) out(`  ${note}`);
    return { name: benchmark.name, result };
  } catch (error) {
    err(`${benchmark.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return { name: benchmark.name, error: message(error) };
  } finally {
    await cleanups.runAll((error) => err(`cleanup after ${benchmark.name} failed: ${message(error)}`));
    current = undefined;
  }
}

async function main(): Promise<number> {
  const args = parseRunnerArgs(process.argv.slice(2));
  if (args.help) {
    out(USAGE);
    for (const benchmark of BENCHMARKS) {
      out(`\n${benchmark.name}: ${benchmark.description}`);
      for (const [key, text] of Object.entries(benchmark.options)) out(`  --${key}=N`.padEnd(22) + text);
    }
    return 0;
  }
  const selected = select(args.names);
  checkParams(selected, args.params);
  const machine = machineLine(await describeMachine());
  const date = new Date().toISOString().slice(0, 10);
  const loadBefore = loadAverages();
  const calibration = calibrationLine(nodeCalibration());
  out(
    `Switchboard benchmarks, ${date}${args.quick ? ' (--quick: sizes too small to quote)' : ''}\n${machine}\n` +
      `${calibration}; lower is faster, and figures of different days compare only next to it\nload average (1/5/15 min) before: ${loadBefore}`,
  );

  const outcomes: BenchmarkOutcome[] = [];
  for (const benchmark of selected) {
    const warning = loadWarning();
    if (warning) err(warning);
    outcomes.push(await runOne(benchmark, args.params, args.quick));
  }

  const loadAfter = loadAverages();
  const summary = summaryTable(outcomes);
  out(`\n== summary (load average before ${loadBefore}, after ${loadAfter})\n\n${textTable(summary)}`);
  if (args.markdown) {
    const rest = process.argv.slice(2).filter((arg) => arg !== '--markdown');
    const command = ['npm run bench', ...(rest.length > 0 ? ['--', ...rest] : [])].join(' ');
    out(
      `\n== markdown\n\nMeasured on ${date} with \`${command}\`: ${machine}; ${calibration}; load average (1/5/15 min) ${loadBefore} before, ${loadAfter} after.\n\n${markdownTable(summary)}`,
    );
  }
  return outcomes.some((outcome) => outcome.error) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    err(`bench: ${message(error)}\n\n${USAGE}`);
    process.exit(2);
  },
);
