import v8 from 'node:v8';

/**
 * Bounds how far V8 lets the heap grow past what was live at its last full collection before it
 * collects again. Under a steady stream of work V8 lets it grow up to fourfold: the server, with
 * about 80 MB live at the height of the escalation benchmark, then held close to 400 MB of RSS,
 * mostly garbage. Twice the live size (100 %) kept it near 270 MB for a few per cent more CPU
 * (docs/benchmarks.md). V8 reads this at every full collection, so setting it at start applies.
 */
export function boundHeapGrowth(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
