import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { admit, type Admission } from './admission.js';
import { DispatchRequest, type WorkflowStep } from './dispatchRequest.js';
import { runWorkflow } from './dispatchRunner.js';
import { problemErrorHandler } from './problem.js';
import type { SimContext } from './simContext.js';

const admission: Admission<WorkflowStep[]> = {
  schema: DispatchRequest,
  invalid: { kind: 'invalid_workflow', detail: 'Your request parameters did not validate.' },
  // The workflow's first step (the schema asks for one) stands for the request: the simulator answers it as a whole.
  addressee: ([first]) => first!,
};

/** `POST /v0.1/dispatch`: accept a failover workflow and run it. */
export const dispatchRoute: FastifyPluginAsync<{ ctx: SimContext }> = async (app, { ctx }) => {
  app.setErrorHandler(problemErrorHandler(ctx.logger));

  app.post('/v0.1/dispatch', async (req, reply) => {
    const admitted = await admit(ctx, req, reply, admission);
    if (!admitted) return reply;
    const dispatchUuid = randomUUID();
    ctx.background(runWorkflow(ctx, dispatchUuid, admitted.applicationId, admitted.request));
    return reply.code(202).send({ dispatch_uuid: dispatchUuid });
  });
};
