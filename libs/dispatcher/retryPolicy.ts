import { isSwitchboardError } from '../errors/index.js';

export interface RetryPolicy {
  maxAttempts: number;
  /** Delay before retry n is delays[n-1]; the last one repeats. */
  delaysMs: number[];
}

export function retryDelay(policy: RetryPolicy, failedAttempt: number): number {
  const { delaysMs } = policy;
  return delaysMs[Math.min(failedAttempt, delaysMs.length) - 1] ?? 0;
}

/** Bad config or input, or a provider's definite "no", fails the same way every time. */
export function isPermanent(err: unknown): boolean {
  return isSwitchboardError(err, 'validation_failed') || isSwitchboardError(err, 'provider_rejected');
}
