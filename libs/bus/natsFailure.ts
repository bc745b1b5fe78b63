import { ErrorCode, NatsError } from 'nats';
import { SwitchboardError } from '#libs/errors';

/**
 * How long a JetStream request (a publish's acknowledgement, a KV read or write) waits for its
 * answer: nats.js's default, named because it bounds how long an API call waits on an outage.
 * While disconnected, nats.js holds what is sent in a buffer that it empties at each reconnect
 * attempt, so a request made then is never sent: it fails with TIMEOUT after this long.
 */
export const NATS_REQUEST_TIMEOUT_MS = 5000;

/** When a caller refused during an outage should try again: nats.js redials every half second, and a restarted nats-server answers within a second or two. */
export const NATS_RETRY_AFTER_S = 2;

/** When a caller refused because a stream or bucket is full should try again: room comes back as work is done or ages out, not in a second. */
export const STORE_FULL_RETRY_AFTER_S = 30;

type Outage = 'unreachable' | 'no_answer' | 'no_jetstream' | 'store_full';

/**
 * JetStream's API error code for a write its stream refused to store: a stream or bucket at its
 * byte (or message) cap that refuses rather than drops (libs/bus/topology.ts), or a store out of
 * space. It comes with status 503, which alone would read as JetStream not serving.
 */
const JS_STORE_FAILED = 10077;

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
  store_full:
    "the message bus's store for this is full (a stream or bucket at its cap, or its disk): nothing was written; an operator raises the cap or frees room (README: Limits)",
};

/** How deep a chain of wrapped errors (`cause`, nats.js's `chainedError`) is searched. */
const MAX_CAUSES = 8;

function outageOf(err: unknown): Outage | undefined {
  let current = err;
  for (let depth = 0; depth < MAX_CAUSES && current instanceof Error; depth++) {
    if (current instanceof NatsError) {
      if (current.api_error?.err_code === JS_STORE_FAILED) return 'store_full';
      const outage = OUTAGE_OF_CODE.get(current.code);
      if (outage) return outage;
    }
    current = current instanceof NatsError && current.chainedError ? current.chainedError : current.cause;
  }
  return undefined;
}

/**
 * Whether a failure is a NATS outage rather than something about the message: it heals by itself
 * (a full stream empties as its work is done), so a worker that gave up on the message would lose
 * work that succeeds once the bus is back.
 */
export function isTransientFailure(err: unknown): boolean {
  return outageOf(err) !== undefined;
}

/**
 * A failure of NATS rather than of the request, as the error a caller should retry after
 * `details.retry_after_s`: `unavailable` while NATS is unreachable or does not answer in time,
 * `storage_full` while what the request writes to is full; undefined for any other error.
 */
export function natsFailure(err: unknown): SwitchboardError | undefined {
  const outage = outageOf(err);
  if (!outage) return undefined;
  if (outage === 'store_full') {
    return new SwitchboardError(
      'storage_full',
      `${SAYS.store_full}: retry in ${STORE_FULL_RETRY_AFTER_S} s`,
      { retry_after_s: STORE_FULL_RETRY_AFTER_S },
      { cause: err },
    );
  }
  return new SwitchboardError(
    'unavailable',
    `${SAYS[outage]}: retry in ${NATS_RETRY_AFTER_S} s`,
    { retry_after_s: NATS_RETRY_AFTER_S },
    { cause: err },
  );
}
