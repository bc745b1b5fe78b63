import { ErrorCode, NatsError } from 'nats';
import { RequestOne } from 'nats/lib/nats-base-client/request.js';
import { defineOverride } from './override.js';

/** The one error every settled request is cancelled with: never handed to a caller (see below). */
const SETTLED = NatsError.errorForCode(ErrorCode.Cancelled);

/**
 * Measured: nats.js 2.29 settles every request, successful or not, by calling `cancel()`, which
 * rejects the request's promise with a new `Cancelled` NatsError, stack trace and all, for a
 * promise that is already settled (the rejection is a no-op) or, on a timeout, whose caller
 * already has the timeout. That was 7 % of the server's busy CPU under load; with one shared
 * error, under 1 % (docs/benchmarks.md).
 *
 * The shared error reaches no caller: nats.js calls `cancel()` without a reason only once the
 * request's answer (or its timeout) has been given. A cancellation with a reason of its own (the
 * publish failed) still carries that reason, to that caller alone.
 */
export const settledRequests = defineOverride({
  name: 'settledRequests',
  measuredOn: '2.29.3',
  target: RequestOne.prototype,
  method: 'cancel',
  shape: { length: 1, mentions: ['this.mux.cancel(this)', 'this.deferred.reject', 'ErrorCode.Cancelled'] },
  replace: (original) =>
    function cancel(this: RequestOne, err?: NatsError): void {
      original.call(this, err ?? SETTLED);
    },
});
