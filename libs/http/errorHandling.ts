import type { FastifyError, FastifyInstance } from 'fastify';
import { SwitchboardError, isSwitchboardError, type ErrorCode } from '../errors/index.js';

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

/** Every error leaves as `{ error: { code, message, details } }` with the status its code means. */
export function installErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const known = isSwitchboardError(err) ? err : fromFastify(err, bodyLimit);
    if (known) return reply.status(STATUS_OF[known.code]).send({ error: known.toJSON() });
    request.log.error({ err }, 'request failed');
    return reply.status(500).send({ error: { code: 'internal', message: 'internal error: see the server log' } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'not_found', message: `no endpoint ${request.method} ${request.url.split('?')[0]}` } }),
  );
}
