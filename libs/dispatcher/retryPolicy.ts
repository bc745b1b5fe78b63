import { NonRetriableError, RetryAfterError } from './handlerErrors.js';

export interface RetryPolicy {
  maxAttempts: number;
  /** Delay before retry n is delays[n-1]; the last one repeats. */
  delaysMs: number[];
}

export function retryDelay(policy: RetryPolicy, failedAttempt: number): number {
  const { delaysMs } = policy;
  return delaysMs[Math.min(failedAttempt, delaysMs.length) - 1] ?? 0;
}

/** What a failed step's error asks of its retry: none, or none sooner than `notBeforeMs` (else the policy's delay). */
export type RetryRequest = { retry: false } | { retry: true; notBeforeMs: number };

/** A step is retried unless its handler threw NonRetriableError, and no sooner than a RetryAfterError asks. */
export function retryRequest(err: unknown): RetryRequest {
  if (err instanceof NonRetriableError) return { retry: false };
  return { retry: true, notBeforeMs: err instanceof RetryAfterError ? err.retryAfterMs : 0 };
}
