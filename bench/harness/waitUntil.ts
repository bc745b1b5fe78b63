import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls a cheap in-memory condition every millisecond or so and resolves with performance.now()
 * at the first poll that sees it true, so the end of a timed run is known to about a millisecond.
 */
export async function waitUntil(what: string, condition: () => boolean, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (condition()) return performance.now();
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(1);
  }
}
