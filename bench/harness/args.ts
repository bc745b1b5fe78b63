export interface RunnerArgs {
  /** Benchmarks to run, by name; empty means all. */
  names: string[];
  markdown: boolean;
  quick: boolean;
  help: boolean;
  /** `--key=value` options passed to the benchmarks. */
  params: Map<string, string>;
}

export const USAGE = `usage: npm run bench -- [name ...] [--quick] [--markdown] [--key=value ...]

  name          a benchmark to run (default: all of them); --help lists them
  --quick       small sizes: checks that the benchmarks run; do not quote its figures
  --markdown    also print the summary as a markdown table, for docs/benchmarks.md
  --key=value   a benchmark's own option, e.g. --events=50000 --reps=3 (see docs/benchmarks.md)`;

export function parseRunnerArgs(argv: readonly string[]): RunnerArgs {
  const args: RunnerArgs = { names: [], markdown: false, quick: false, help: false, params: new Map() };
  for (const arg of argv) {
    if (arg === '--markdown') args.markdown = true;
    else if (arg === '--quick') args.quick = true;
    else if (arg === '--help' || arg === '-h') args.help = true;
    else if (arg.startsWith('--')) {
      const match = /^--([A-Za-z][\w-]*)=(.*)$/.exec(arg);
      if (!match) throw new Error(`unknown option ${arg}: options are --quick, --markdown and --key=value`);
      args.params.set(match[1]!, match[2]!);
    } else args.names.push(arg);
  }
  return args;
}
