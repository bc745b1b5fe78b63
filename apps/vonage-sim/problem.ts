import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodError } from 'zod';
import { issuePath } from '../../libs/errors/index.js';
import type { Logger } from '../../libs/logger/index.js';
import type { ProblemDetails } from '../../libs/vonage/index.js';
import type { FailFirst } from './scenario.js';

type InvalidParameter = { name: string; reason: string };

const PROBLEMS = {
  400: { type: 'https://developer.vonage.com/api-errors#invalid-json', title: 'Bad Request' },
  401: { type: 'https://developer.vonage.com/api-errors#unauthorized', title: 'Unauthorized' },
  415: { type: 'https://developer.vonage.com/api-errors#unsupported-media-type', title: 'Unsupported Media Type' },
  422: { type: 'https://developer.vonage.com/api-errors/messages#1150', title: 'Invalid params' },
  429: { type: 'https://developer.vonage.com/api-errors/messages#1000', title: 'Rate Limit Hit' },
  500: { type: 'https://developer.vonage.com/api-errors#internal-error', title: 'Internal Error' },
  503: { type: 'https://developer.vonage.com/api-errors#service-unavailable', title: 'Service Unavailable' },
} as const;
export type ProblemStatus = keyof typeof PROBLEMS;

/** Answers like Vonage: an RFC 7807 body with a fresh trace id in `instance`. */
export function sendProblem(
  reply: FastifyReply,
  status: ProblemStatus,
  detail: string,
  invalidParameters?: InvalidParameter[],
): FastifyReply {
  const body: ProblemDetails = { ...PROBLEMS[status], detail, instance: randomUUID() };
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
    if (err.statusCode === 415) return sendProblem(reply, 415, 'Send the request body as application/json');
    if (err.statusCode === 400) return sendProblem(reply, 400, `The request body did not contain valid JSON: ${err.message}`);
    logger.error({ err }, 'simulator route failed');
    return sendProblem(reply, 500, 'There was an error processing your request in the Platform.');
  };
}

/** A scenario's `fail_first`: the answer Vonage gives when it is down or throttling. */
export function sendFailFirst(reply: FastifyReply, failure: FailFirst): FastifyReply {
  if (failure.status === 429) {
    return sendProblem(reply.header('retry-after', String(failure.retry_after_s ?? 1)), 429, 'Please wait, then retry your request');
  }
  return sendProblem(reply, failure.status, 'There was an error processing your request in the Platform.');
}
