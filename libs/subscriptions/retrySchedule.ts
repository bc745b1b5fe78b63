/** When failed deliveries are tried again: a first delay doubling up to a cap, within a window. */
export interface RetrySchedule {
  firstDelayMs: number;
  maxDelayMs: number;
  /** How long a delivery is tried for; also how long a subscription may fail before it is disabled. */
  windowMs: number;
}

const SECOND = 1000;
const HOUR = 3600 * SECOND;

/** 5 s doubling up to 1 h, for 24 h; `scale` applies SWITCHBOARD_TIME_SCALE. */
export function retrySchedule(scale: (ms: number) => number): RetrySchedule {
  return { firstDelayMs: Math.max(1, scale(5 * SECOND)), maxDelayMs: Math.max(1, scale(HOUR)), windowMs: scale(24 * HOUR) };
}

/**
 * The delay before the next try after `failures` failed tries of a delivery that started at
 * `startedAt`, or undefined when its window is over. The last try falls at the end of the window.
 */
export function nextRetryDelay(schedule: RetrySchedule, failures: number, startedAt: number, now: number): number | undefined {
  const remaining = startedAt + schedule.windowMs - now;
  if (remaining <= 0) return undefined;
  return Math.min(schedule.firstDelayMs * 2 ** Math.max(0, failures - 1), schedule.maxDelayMs, remaining);
}
