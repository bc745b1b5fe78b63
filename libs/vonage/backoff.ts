/** Delay before retry number `retry` (1 for the first retry): `baseMs` doubling, capped at `maxMs`. */
export function exponentialDelayMs(retry: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** (retry - 1));
}

/**
 * Keeps half of the delay and randomises the other half, so clients that failed together do not
 * all come back in the same millisecond, yet each still waits at least half the backoff.
 */
export function withJitter(delayMs: number): number {
  return delayMs / 2 + Math.random() * (delayMs / 2);
}
