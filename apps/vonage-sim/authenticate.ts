import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from './problem.js';
import type { SimContext } from './simContext.js';

/** The application a request's JWT proves, or undefined after answering 401 as Vonage does. */
export async function authenticate(ctx: SimContext, req: FastifyRequest, reply: FastifyReply): Promise<string | undefined> {
  const auth = await ctx.applications.verify(req.headers.authorization);
  if (auth.ok) return auth.applicationId;
  sendProblem(reply, 'unauthorized', `You did not provide correct credentials. ${auth.detail}`);
  return undefined;
}
