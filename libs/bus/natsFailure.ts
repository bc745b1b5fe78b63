import { ErrorCode, NatsError } from 'nats';
import { SwitchboardError } from '../errors/index.js';

/**
 * How long a JetStream request (a publish's acknowledgement, a KV read or write) waits for its
 * answer: nats.js's default, named because it bounds how long an API call waits on an outage.
 * While disconnected, nats.js holds what is sent in a buffer that it empties at each reconnect
 * attempt, so a request made then is never sent: it fails with TIMEOUT after this long.
 */
export const NATS_REQUEST_TIMEOUT_MS = 5000;

/** When a caller refused during an outage should try again: nats.js redials every half second, and a restarted nats-server answers within a second or two. */
export const NATS_RETRY_AFTER_S = 2;

type Outage = 'unreachable' | 'no_answer' | 'no_jetstream';

/** nats.js error codes (never messages: they are no contract) and the outage each stands for. */
const OUTAGE_OF_CODE: ReadonlyMap<string, Outage> = new Map([
  [ErrorCode.Disconnect, 'unreachable'],
  [ErrorCode.ConnectionClosed, 'unreachable'],
  [ErrorCode.ConnectionDraining, 'unreachable'],
  [ErrorCode.ConnectionRefused, 'unreachable'],
  [ErrorCode.ConnectionTimeout, 'unreachable'],
  [ErrorCode.Timeout, 'no_answer'],
  [ErrorCode.JetStream408RequestTimeout, 'no_answer'],
  // No responders and JetStream's own 503 share the code: JetStream is not (yet) serving.
  [ErrorCode.NoResponders, 'no_jetstream'],
]);

const SAYS: Record<Outage, string> = {
  unreachable: 'the message bus (NATS) is unreachable',
  // A request that timed out may yet be done by a server that was frozen or overloaded.
  no_answer: `the message bus (NATS) did not answer within ${NATS_REQUEST_TIMEOUT_MS / 1000} s (unreachable or overloaded), so what was asked may or may not be done`,
  no_jetstream: 'the message bus (NATS) is not serving JetStream',
};

/** How deep a chain of wrapped errors (`cause`, nats.js's `chainedError`) is searched. */
const MAX_CAUSES = 8;

function outageOf(err: unknown): Outage | undefined {
  let current = err;
  for (let depth = 0; depth < MAX_CAUSES && current instanceof Error; depth++) {
    if (current instanceof NatsError) {
      const outage = OUTAGE_OF_CODE.get(current.code);
      if (outage) return outage;
    }
    current = current instanceof NatsError && current.chainedError ? current.chainedError : current.cause;
  }
  return undefined;
}

/**
 * Whether a failure is a NATS outage rather than something about the message: it heals by itself,
 * so a worker that gave up on the message would lose work that succeeds once the bus is back.
 */
export function isTransientFailure(err: unknown): boolean {
  return outageOf(err) !== undefined;
}

/**
 * A failure because NATS is unreachable or does not answer in time, as the `unavailable` error a
 * caller should retry (in `details.retry_after_s`); undefined for any other error.
 */
export function natsFailure(err: unknown): SwitchboardError | undefined {
  const outage = outageOf(err);
  if (!outage) return undefined;
  return new SwitchboardError('unavailable', `${SAYS[outage]}: retry in ${NATS_RETRY_AFTER_S} s`, { retry_after_s: NATS_RETRY_AFTER_S }, { cause: err });
}
