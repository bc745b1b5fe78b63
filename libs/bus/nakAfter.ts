import type { JsMsg } from 'nats';

/**
 * Negatively acknowledges a message for redelivery after `ms`, in whole milliseconds (at least
 * one). nats.js sends the delay as `ms * 1e6` nanoseconds, so a fraction of a millisecond (a time
 * computed from a scaled setting or a stream timestamp) can reach nats-server as a non-integer,
 * which it does not read as a delay: it redelivers at once. A timer held back that way spun
 * through up to 140 deliveries until its time.
 */
export function nakAfter(msg: JsMsg, ms: number): void {
  msg.nak(Math.max(Math.ceil(ms), 1));
}
