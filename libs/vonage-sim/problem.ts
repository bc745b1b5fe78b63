import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodError } from 'zod';
import { issuePath } from '#libs/errors';
import type { Logger } from '#libs/logger';
import type { ProblemDetails } from '#libs/vonage';
import type { FailFirst } from './scenario.js';

type InvalidParameter = { name: string; reason: string };

const PROBLEMS = {
  invalid_json: { status: 400, type: 'https://developer.vonage.com/api-errors#invalid-json', title: 'Invalid JSON' },
  /** Dispatch answers a bad workflow with 400 where Messages says 422. */
  invalid_workflow: { status: 400, type: 'https://developer.vonage.com/api-errors/dispatch#invalid-params', title: 'Invalid params' },
  unauthorized: { status: 401, type: 'https://developer.vonage.com/api-errors#unauthorized', title: 'Unauthorized' },
  unsupported_media_type: {
    status: 415,
    type: 'https://developer.vonage.com/api-errors#unsupported-media-type',
    title: 'Unsupported Media Type',
  },
  invalid_params: { status: 422, type: 'https://developer.vonage.com/api-errors/messages#1150', title: 'Invalid params' },
  throttled: { status: 429, type: 'https://developer.vonage.com/api-errors/messages#1000', title: 'Rate Limit Hit' },
  internal: { status: 500, type: 'https://developer.vonage.com/api-errors#internal-error', title: 'Internal Error' },
  unavailable: { status: 503, type: 'https://developer.vonage.com/api-errors#service-unavailable', title: 'Service Unavailable' },
} as const;
export type ProblemKind = keyof typeof PROBLEMS;

/** Answers like Vonage: an RFC 7807 body with a fresh trace id in `instance`. */
export function sendProblem(reply: FastifyReply, kind: ProblemKind, detail: string, invalidParameters?: InvalidParameter[]): FastifyReply {
  const { status, type, title } = PROBLEMS[kind];
  const body: ProblemDetails = { type, title, detail, instance: randomUUID() };
  if (invalidParameters) body.invalid_parameters = invalidParameters;
  return reply.code(status).type('application/problem+json').send(body);
}

/** Vonage's `invalid_parameters`: one entry per bad field, named by its dotted path. */
export function invalidParameters(err: ZodError): InvalidParameter[] {
  return err.issues.map((issue) => ({ name: issuePath(issue.path), reason: issue.message }));
}

/** Errors fastify raises before a handler runs (unreadable JSON, wrong content type), as Vonage words them. */
export function problemErrorHandler(logger: Logger) {
  return (err: FastifyError, _req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (err.statusCode === 415) return sendProblem(reply, 'unsupported_media_type', 'Send the request body as application/json');
    if (err.statusCode === 400) return sendProblem(reply, 'invalid_json', `The request body did not contain valid JSON: ${err.message}`);
    logger.error({ err }, 'simulator route failed');
    return sendProblem(reply, 'internal', 'There was an error processing your request in the Platform.');
  };
}

/** A scenario's `fail_first`: the answer Vonage gives when it is down or throttling, or refuses the recipient. */
export function sendFailFirst(reply: FastifyReply, failure: FailFirst): FastifyReply {
  switch (failure.status) {
    case 429:
      return sendProblem(
        reply.header('retry-after', String(failure.retry_after_s ?? 1)),
        'throttled',
        'Please wait, then retry your request',
      );
    case 500:
      return sendProblem(reply, 'internal', 'There was an error processing your request in the Platform.');
    case 503:
      return sendProblem(reply, 'unavailable', 'The service is temporarily unavailable, please retry later.');
    case 422:
      return sendProblem(reply, 'invalid_params', 'The value of one or more parameters is invalid.', [
        { name: 'to', reason: 'not a reachable recipient' },
      ]);
  }
}
