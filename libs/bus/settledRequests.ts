import { ErrorCode, NatsError } from 'nats';
import { RequestOne } from 'nats/lib/nats-base-client/request.js';

/**
 * nats.js 2.29 (the last 2.x) settles every request, successful or not, by calling `cancel()`,
 * which rejects the request's promise with a new `Cancelled` NatsError: an Error with a stack
 * trace, built for a promise that is already settled (the rejection is a no-op) or, on a timeout,
 * whose caller already has the timeout. Several of those per escalation send came to about 7 % of
 * the server's busy CPU under load (docs/benchmarks.md). One shared error serves every such call;
 * a cancellation with a reason of its own still carries it.
 */
const SETTLED = NatsError.errorForCode(ErrorCode.Cancelled);
const original = RequestOne.prototype.cancel;

RequestOne.prototype.cancel = function cancel(this: RequestOne, err?: NatsError): void {
  original.call(this, err ?? SETTLED);
};
