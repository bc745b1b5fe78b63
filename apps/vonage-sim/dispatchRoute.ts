import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { authenticate } from './authenticate.js';
import { DispatchRequest } from './dispatchRequest.js';
import { runWorkflow } from './dispatchRunner.js';
import { invalidParameters, problemErrorHandler, sendFailFirst, sendProblem } from './problem.js';
import type { SimContext } from './simContext.js';

/**
 * `POST /v0.1/dispatch`: accept a failover workflow and run it. A `fail_first` in the scenario of
 * the first step's recipient applies to the request itself.
 */
export const dispatchRoute: FastifyPluginAsync<{ ctx: SimContext }> = async (app, { ctx }) => {
  app.setErrorHandler(problemErrorHandler(ctx.logger));

  app.post('/v0.1/dispatch', async (req, reply) => {
    const applicationId = await authenticate(ctx, req, reply);
    if (applicationId === undefined) return reply;
    const parsed = DispatchRequest.safeParse(req.body);
    if (!parsed.success) {
      return sendProblem(reply, 'invalid_workflow', 'Your request parameters did not validate.', invalidParameters(parsed.error));
    }
    const steps = parsed.data;
    const failure = steps[0] && ctx.scenarios.takeFailure(steps[0].to);
    if (failure) return sendFailFirst(reply, failure);

    const dispatchUuid = randomUUID();
    ctx.background(runWorkflow(ctx, dispatchUuid, applicationId, steps));
    return reply.code(202).send({ dispatch_uuid: dispatchUuid });
  });
};
