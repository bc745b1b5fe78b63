import type { FastifyPluginAsync } from 'fastify';
import { SwitchboardError } from '#libs/errors';
import { parse } from '#libs/http';
import type { BroadcastRepository } from '#libs/store';
import { AccountItemParams } from '../params.js';
import { access } from '../accessControl.js';

/** The progress of `broadcast` steps: total, sent, failed (with reasons), done. */
export const broadcastsPlugin: FastifyPluginAsync<{ broadcasts: BroadcastRepository }> = async (app, { broadcasts }) => {
  app.get('/v1/accounts/:account/broadcasts/:id', { config: { access: access.read } }, async (request) => {
    const { account, id } = parse(AccountItemParams, request.params);
    const broadcast = await broadcasts.get(account, id);
    if (!broadcast) throw new SwitchboardError('not_found', `no broadcast "${id}" in account ${account}`);
    return broadcast;
  });
};
