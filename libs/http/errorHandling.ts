import type { FastifyError, FastifyInstance } from 'fastify';
import { NATS_REQUEST_TIMEOUT_MS, NATS_RETRY_AFTER_S, natsFailure } from '#libs/bus';
import { SwitchboardError, isSwitchboardError, type ErrorCode } from '#libs/errors';

const STATUS_OF: Record<ErrorCode, number> = {
  invalid_json: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  handler_failed: 500,
  internal: 500,
  provider_rejected: 502,
  provider_auth_failed: 502,
  provider_unavailable: 503,
  provider_outcome_unknown: 504,
  // Insufficient Storage: the account holds all its quota allows (`libs/limits`), not the caller's rate.
  quota_exceeded: 507,
  // A stream or bucket every account shares is at its cap: not this account's doing, nor its quota.
  storage_full: 507,
  unavailable: 503,
};

export function statusOf(code: ErrorCode): number {
  return STATUS_OF[code];
}

/** fastify's own request errors, as ours. */
function fromFastify(err: FastifyError, bodyLimit: number): SwitchboardError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new SwitchboardError('payload_too_large', `the request body is larger than ${bodyLimit} bytes`, { limit_bytes: bodyLimit });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new SwitchboardError('unsupported_media_type', 'send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new SwitchboardError('invalid_json', 'the body is empty: send a JSON object');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new SwitchboardError('invalid_json', 'the Content-Length does not match the body');
  }
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new SwitchboardError('invalid_json', `the body is not valid JSON: ${err.message}`);
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return new SwitchboardError('validation_failed', err.message);
  }
  return undefined;
}

/**
 * The longest a call waits for its answer: a NATS request's timeout, and a second more for a call
 * queued behind another during an outage (a hook's calls are written one after another), which
 * would otherwise wait out two.
 */
export const API_DEADLINE_MS = NATS_REQUEST_TIMEOUT_MS + 1000;

/**
 * Answers 503 `unavailable` to a call still unanswered at the deadline; its handler runs on, and
 * what it answers late is dropped (fastify logs it). fastify's own `handlerTimeout` cannot: its
 * timer is cleared once a request's body has been read (5.12), so it never fires on a POST.
 */
function installDeadline(app: FastifyInstance): void {
  app.addHook('onRequest', (_request, reply, done) => {
    const timer = setTimeout(() => {
      // Answered, hijacked (an event stream) or already streaming: nothing to add.
      if (reply.sent || reply.raw.headersSent) return;
      reply.send(
        new SwitchboardError(
          'unavailable',
          `no answer within ${API_DEADLINE_MS / 1000} s: the message bus (NATS) is slow or unreachable, so what was asked may or may not be done: retry in ${NATS_RETRY_AFTER_S} s`,
          { retry_after_s: NATS_RETRY_AFTER_S },
        ),
      );
    }, API_DEADLINE_MS).unref();
    // Answered or abandoned by the caller.
    reply.raw.once('close', () => clearTimeout(timer));
    done();
  });
}

/** The seconds an `unavailable` or `storage_full` error asks the caller to wait: its own `details.retry_after_s`, or a NATS outage's. */
function retryAfterSeconds(error: SwitchboardError): number {
  const asked = (error.details as { retry_after_s?: unknown } | undefined)?.retry_after_s;
  return typeof asked === 'number' && asked > 0 ? Math.ceil(asked) : NATS_RETRY_AFTER_S;
}

/**
 * Every error leaves as `{ error: { code, message, details } }` with the status its code means. A
 * NATS outage is a 503 `unavailable` with Retry-After, so that callers (and Vonage) try again,
 * and no call waits past API_DEADLINE_MS.
 */
export function installErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  installDeadline(app);
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const known = isSwitchboardError(err) ? err : (fromFastify(err, bodyLimit) ?? natsFailure(err));
    if (known?.code === 'unavailable') {
      // One line per refused request would drown the log during an outage; the health plugin logs the outage itself.
      request.log.debug({ err }, 'request refused: the message bus is unavailable');
      reply.header('retry-after', String(retryAfterSeconds(known)));
    }
    if (known?.code === 'storage_full') {
      request.log.warn({ err }, 'request refused: a stream or bucket is full');
      reply.header('retry-after', String(retryAfterSeconds(known)));
    }
    if (known) return reply.status(STATUS_OF[known.code]).send({ error: known.toJSON() });
    request.log.error({ err }, 'request failed');
    return reply.status(500).send({ error: { code: 'internal', message: 'internal error: see the server log' } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'not_found', message: `no endpoint ${request.method} ${request.url.split('?')[0]}` } }),
  );
}
