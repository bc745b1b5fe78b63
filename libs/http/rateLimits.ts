import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SwitchboardError } from '#libs/errors';

/**
 * Rate limiting with @fastify/rate-limit, off by default and switched on per route
 * (`rateLimitPer`), answering 429 in our error format with Retry-After.
 */
export async function installRateLimits(app: FastifyInstance): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new SwitchboardError('rate_limited', `too many requests: the limit is ${context.max} a second; retry in ${context.after}`, {
        limit: context.max,
      }),
  });
}

/** A route's rate limit: `max` requests a second for each key (an account, a hook...). */
export function rateLimitPer(max: number, key: (request: FastifyRequest) => string) {
  return { rateLimit: { max, timeWindow: 1000, keyGenerator: key } };
}
