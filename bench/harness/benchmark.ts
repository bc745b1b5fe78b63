/** A figure a benchmark reports; the runner's summary and `--markdown` table list them. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** Digits after the point when printed. */
  decimals?: number;
  target?: Target;
}

export interface Target {
  op: '>=' | '<=';
  value: number;
}

export interface BenchmarkResult {
  figures: Figure[];
  /** One-line facts a reader needs to interpret the figures (sizes, settings). */
  notes: string[];
}

export interface BenchContext {
  /** `--key=value` options from the command line, for benchmark-specific sizes. */
  params: ReadonlyMap<string, string>;
  /** `--quick`: small sizes, to check that a benchmark runs, not to quote its figures. */
  quick: boolean;
  /** The benchmark's own tables (stdout). */
  print(text: string): void;
  /** Progress lines while it runs (stderr, so stdout stays the results). */
  progress(text: string): void;
  /** Registers a cleanup; the runner runs them in reverse order after the benchmark, or on Ctrl-C. */
  defer(cleanup: () => unknown): void;
}

export interface Benchmark {
  name: string;
  description: string;
  /** The `--key=value` options it reads, with what each does and its default: shown by --help, and any other key is refused. */
  options: Readonly<Record<string, string>>;
  run(ctx: BenchContext): Promise<BenchmarkResult>;
}

export function targetMet(figure: Figure): boolean | undefined {
  const { target } = figure;
  if (!target) return undefined;
  return target.op === '>=' ? figure.value >= target.value : figure.value <= target.value;
}

/** An integer `--key=value` option, or the default (the quick default under `--quick`). */
export function intParam(ctx: BenchContext, key: string, normal: number, quick = normal): number {
  const text = ctx.params.get(key);
  if (text === undefined) return ctx.quick ? quick : normal;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${key} must be a positive integer, got "${text}"`);
  return value;
}

/** A comma-separated list of positive integers, e.g. `--concurrency=16,64,256`. */
export function intListParam(ctx: BenchContext, key: string, normal: number[], quick = normal): number[] {
  const text = ctx.params.get(key);
  if (text === undefined) return ctx.quick ? quick : normal;
  if (text.trim() === '') return [];
  return text.split(',').map((part) => {
    const value = Number(part.trim());
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${key} must list positive integers, got "${text}"`);
    return value;
  });
}
