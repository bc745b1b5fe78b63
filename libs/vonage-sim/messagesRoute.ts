import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyPluginAsync } from 'fastify';
import { admit, type Admission } from './admission.js';
import { MessageRequest } from './messageRequest.js';
import { playMessage } from './messagePlayback.js';
import type { SimMessage } from './messageStore.js';
import { problemErrorHandler } from './problem.js';
import type { SimContext } from './simContext.js';
import { messageStatusBody } from './webhookPayloads.js';

const admission: Admission<MessageRequest> = {
  schema: MessageRequest,
  invalid: { kind: 'invalid_params', detail: 'The value of one or more parameters is invalid.' },
  addressee: (request) => request,
};

/** `POST /v1/messages`: accept like Vonage, then play the recipient's scenario. */
export const messagesRoute: FastifyPluginAsync<{ ctx: SimContext }> = async (app, { ctx }) => {
  app.setErrorHandler(problemErrorHandler(ctx.logger));

  app.post('/v1/messages', async (req, reply) => {
    const admitted = await admit(ctx, req, reply, admission);
    if (!admitted) return reply;
    const { applicationId, request } = admitted;

    const message: SimMessage = {
      message_uuid: randomUUID(),
      channel: request.channel,
      to: request.to,
      from: request.from,
      text: request.text,
      ...(request.client_ref !== undefined && { client_ref: request.client_ref }),
      application_id: applicationId,
      accepted_at: new Date().toISOString(),
      statuses: [],
    };
    ctx.store.add(message);
    const scenario = ctx.scenarios.get(request);
    const playback = playMessage(ctx, message, scenario, {
      statusBody: (step, timestamp) => messageStatusBody(message, step, timestamp),
    });
    ctx.background(playback);
    if (scenario.answer_after_ms) await sleep(ctx.scaled(scenario.answer_after_ms), undefined, { signal: ctx.signal });
    return reply.code(202).send({ message_uuid: message.message_uuid });
  });
};
