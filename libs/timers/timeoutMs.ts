/** Node's longest timeout, about 24.8 days: a longer one runs at once, with only a warning. */
const LONGEST_TIMEOUT_MS = 2 ** 31 - 1;

/** A delay for setTimeout: one longer than Node can wait becomes the longest it can. */
export function timeoutMs(ms: number): number {
  return Math.min(ms, LONGEST_TIMEOUT_MS);
}
