import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { DeadLetters } from '#libs/deadletters';
import { SwitchboardError } from '#libs/errors';
import { Token } from '#libs/events';
import { parse } from '#libs/http';
import { AccountParams, ListQuery } from '../params.js';
import { access } from '../accessControl.js';

const DeadLetterParams = z.object({ account: Token, id: z.coerce.number().int().positive('must be a dead letter id (a positive number)') });

export const deadLettersPlugin: FastifyPluginAsync<{ deadLetters: DeadLetters }> = async (app, { deadLetters }) => {
  app.get('/v1/accounts/:account/deadletters', { config: { access: access.read } }, async (request) => {
    const { account } = parse(AccountParams, request.params);
    const { limit } = parse(ListQuery, request.query);
    return { deadletters: await deadLetters.list(account, limit) };
  });

  app.get('/v1/accounts/:account/deadletters/:id', { config: { access: access.read } }, async (request) => {
    const { account, id } = parse(DeadLetterParams, request.params);
    const letter = await deadLetters.get(account, id);
    if (!letter) throw new SwitchboardError('not_found', `no dead letter ${id} in account ${account}`);
    return letter;
  });

  app.post('/v1/accounts/:account/deadletters/:id/replay', { config: { access: access.write } }, async (request, reply) => {
    const { account, id } = parse(DeadLetterParams, request.params);
    const published = await deadLetters.replay(account, id);
    request.log.info({ event_id: published.event.event_id, dead_letter: id }, 'dead letter replayed');
    return reply.status(202).send({ replayed: id, event_id: published.event.event_id, seq: published.seq });
  });
};
