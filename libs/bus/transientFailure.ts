import { ErrorCode, NatsError } from 'nats';

/**
 * nats.js error codes of failures that heal by themselves: the server unreachable or restarting,
 * the connection closing under a stopping worker, a request timed out, JetStream answering 503
 * (no responders and "JetStream not available" share the code).
 */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  ErrorCode.Disconnect,
  ErrorCode.ConnectionClosed,
  ErrorCode.ConnectionDraining,
  ErrorCode.ConnectionRefused,
  ErrorCode.ConnectionTimeout,
  ErrorCode.Timeout,
  ErrorCode.JetStream408RequestTimeout,
  ErrorCode.NoResponders,
]);

/** How deep a chain of wrapped errors (`cause`, nats.js's `chainedError`) is searched. */
const MAX_CAUSES = 8;

/**
 * Whether a failure is a NATS outage rather than something about the message: giving up on the
 * message would lose work that succeeds once the bus is back. Told by the nats.js error code
 * (messages are not a contract), of the error or of any error it wraps.
 */
export function isTransientFailure(err: unknown): boolean {
  let current = err;
  for (let depth = 0; depth < MAX_CAUSES && current instanceof Error; depth++) {
    if (current instanceof NatsError && TRANSIENT_CODES.has(current.code)) return true;
    current = current instanceof NatsError && current.chainedError ? current.chainedError : current.cause;
  }
  return false;
}
