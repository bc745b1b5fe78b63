import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '#libs/errors';

/** Polls until `check` returns a value other than undefined/false, or fails with `what` after the timeout. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${errorMessage(last)}` : ''}`);
    await sleep(50);
  }
}
