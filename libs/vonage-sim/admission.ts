import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { invalidParameters, sendFailFirst, sendProblem } from './problem.js';
import type { Addressee } from './scenarioTarget.js';
import type { SimContext } from './simContext.js';

export interface Admission<T> {
  schema: z.ZodType<T>;
  /** How the API words a body that does not validate: Messages says 422, Dispatch 400. */
  invalid: { kind: 'invalid_params' | 'invalid_workflow'; detail: string };
  /** Whose scenario's `fail_first` applies to the request. */
  addressee(request: T): Addressee;
}

/**
 * Vonage's front door, in its order: the application JWT (401), the body (422 or 400), then the
 * recipient's `fail_first`. Undefined once it has answered the request itself.
 */
export async function admit<T>(
  ctx: SimContext,
  req: FastifyRequest,
  reply: FastifyReply,
  admission: Admission<T>,
): Promise<{ applicationId: string; request: T } | undefined> {
  const auth = await ctx.applications.verify(req.headers.authorization);
  if (!auth.ok) {
    sendProblem(reply, 'unauthorized', `You did not provide correct credentials. ${auth.detail}`);
    return undefined;
  }
  const parsed = admission.schema.safeParse(req.body);
  if (!parsed.success) {
    sendProblem(reply, admission.invalid.kind, admission.invalid.detail, invalidParameters(parsed.error));
    return undefined;
  }
  const failure = ctx.scenarios.takeFailure(admission.addressee(parsed.data));
  if (failure) {
    sendFailFirst(reply, failure);
    return undefined;
  }
  return { applicationId: auth.applicationId, request: parsed.data };
}
