import type { FastifyError, FastifyPluginAsync, FastifyReply, RouteHandlerMethod } from 'fastify';
import { z } from 'zod';
import { SwitchboardError, validationError } from '#libs/errors';
import { ChannelTypeSchema } from '#libs/vonage';
import { requireControlToken } from './controlToken.js';
import { Scenario } from './scenario.js';
import { ScenarioTarget } from './scenarioTarget.js';
import type { SimContext } from './simContext.js';
import { inboundBody } from './webhookPayloads.js';

const MessagesQuery = z.object({ to: z.string().min(1).optional() });
/** A user's message to the application: `from` is the user, `to` the application's number or id. */
const InboundRequest = z.object({
  channel: ChannelTypeSchema,
  from: z.string().min(1),
  to: z.string().min(1),
  text: z.string().min(1),
});

function sendError(reply: FastifyReply, status: number, err: SwitchboardError): FastifyReply {
  return reply.code(status).send({ error: err.toJSON() });
}

type ControlOptions = { ctx: SimContext; controlToken: string };

/** The routes that steer the simulator or show what it sent: only with the control token. */
const guardedRoutes: FastifyPluginAsync<ControlOptions> = async (app, { ctx, controlToken }) => {
  app.addHook('onRequest', requireControlToken(controlToken));

  app.get('/_sim/messages', async (req, reply) => {
    const query = MessagesQuery.safeParse(req.query);
    if (!query.success) return sendError(reply, 400, validationError(query.error, 'query'));
    return { messages: ctx.store.list(query.data) };
  });

  // An address's scenario on every channel, or on one channel only: /_sim/scenarios/whatsapp/447700900101.
  const setScenario: RouteHandlerMethod = async (req, reply) => {
    const target = ScenarioTarget.safeParse(req.params);
    if (!target.success) return sendError(reply, 400, validationError(target.error, 'params'));
    const scenario = Scenario.safeParse(req.body);
    if (!scenario.success) return sendError(reply, 400, validationError(scenario.error));
    ctx.scenarios.set(target.data, scenario.data);
    return { ...target.data, scenario: scenario.data };
  };
  app.put('/_sim/scenarios/:recipient', setScenario);
  app.put('/_sim/scenarios/:channel/:recipient', setScenario);

  app.delete('/_sim/scenarios', async (_req, reply) => {
    ctx.scenarios.clear();
    return reply.code(204).send();
  });

  app.post('/_sim/inbound', async (req, reply) => {
    const parsed = InboundRequest.safeParse(req.body);
    if (!parsed.success) return sendError(reply, 400, validationError(parsed.error));
    const body = inboundBody(parsed.data);
    ctx.background(ctx.postInbound(body, ctx.applications.applicationIds[0], ctx.signal));
    return reply.code(202).send({ message_uuid: body.message_uuid });
  });

  app.post('/_sim/reset', async (_req, reply) => {
    ctx.reset();
    return reply.code(204).send();
  });
};

/**
 * `/_sim/*`: what tests and demos use to steer the simulator and see what it did. All but the
 * health probe need the control token: `/_sim/inbound` makes the simulator sign a user's reply,
 * so whoever may call it can end any escalation.
 */
export const controlRoutes: FastifyPluginAsync<ControlOptions> = async (app, options) => {
  const { ctx } = options;
  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err.statusCode === 400)
      return sendError(reply, 400, new SwitchboardError('invalid_json', `request body is not valid JSON: ${err.message}`));
    if (err.statusCode === 415)
      return sendError(reply, 415, new SwitchboardError('unsupported_media_type', 'send the body as application/json'));
    ctx.logger.error({ err }, 'simulator control route failed');
    return sendError(reply, 500, new SwitchboardError('internal', 'the simulator failed; see its log'));
  });

  // Open: servers probe it to find a simulator they can share, and it shows only counts.
  app.get('/_sim/health', async () => ({
    status: 'ok',
    messages: ctx.store.size,
    pending_webhooks: ctx.webhooks.pendingCount,
    webhook_retries: ctx.webhooks.retryCount,
  }));

  // Its own encapsulated context, so the token hook covers these routes and not the health probe.
  await app.register(guardedRoutes, options);
};
