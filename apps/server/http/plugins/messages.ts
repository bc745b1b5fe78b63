import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { SwitchboardError } from '#libs/errors';
import { ProviderId, Token } from '#libs/identifiers';
import type { StoredReceipts } from '#libs/messaging';
import type { MessageRepository } from '#libs/store';
import { parse } from '#libs/http';
import { access } from '../accessControl.js';

const MessageParams = z.object({ account: Token, id: ProviderId });

/** A message as it was sent, with its status timeline from the receipts stored on PROVIDER. */
export const messagesPlugin: FastifyPluginAsync<{ messages: MessageRepository; stored: StoredReceipts }> = async (
  app,
  { messages, stored },
) => {
  app.get('/v1/accounts/:account/messages/:id', { config: { access: access.read } }, async (request) => {
    const { account, id } = parse(MessageParams, request.params);
    const record = await messages.get(account, id);
    if (!record) throw new SwitchboardError('not_found', `no message ${id} in account ${account}`);
    const statuses = record.dispatch_uuid
      ? await stored.dispatchMessageStatuses(record.dispatch_uuid, id)
      : await stored.statuses(account, id);
    return { ...record, statuses };
  });
};
