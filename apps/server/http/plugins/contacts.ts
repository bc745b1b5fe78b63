import type { FastifyPluginAsync } from 'fastify';
import { SwitchboardError } from '#libs/errors';
import type { ContactRepository } from '#libs/store';
import { parse } from '#libs/http';
import { AccountItemParams, AccountParams } from '../params.js';
import { access } from '../accessControl.js';

export const contactsPlugin: FastifyPluginAsync<{ contacts: ContactRepository }> = async (app, { contacts }) => {
  app.get('/v1/accounts/:account/contacts', { config: { access: access.read } }, async (request) => {
    const { account } = parse(AccountParams, request.params);
    return { contacts: (await contacts.list(account)).sort((a, b) => a.created_at.localeCompare(b.created_at)) };
  });

  app.get('/v1/accounts/:account/contacts/:id', { config: { access: access.read } }, async (request) => {
    const { account, id } = parse(AccountItemParams, request.params);
    const contact = await contacts.get(account, id);
    if (!contact) throw new SwitchboardError('not_found', `no contact "${id}" in account ${account}`);
    return contact;
  });
};
