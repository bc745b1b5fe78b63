import type { FastifyPluginAsync } from 'fastify';
import { refuseCycles, validateRoute, type HandlerRegistry } from '#libs/dispatcher';
import { SwitchboardError } from '#libs/errors';
import { maskSecrets, restoreMasked } from '#libs/secrets';
import type { RouteRepository } from '#libs/store';
import { parse } from '#libs/http';
import { AccountItemParams, AccountParams } from '../params.js';
import { access } from '../accessControl.js';

export const routesPlugin: FastifyPluginAsync<{ routes: RouteRepository; registry: HandlerRegistry }> = async (
  app,
  { routes, registry },
) => {
  app.get('/v1/accounts/:account/routes', { config: { access: access.read } }, async (request) => {
    const { account } = parse(AccountParams, request.params);
    return { routes: (await routes.list(account)).sort((a, b) => a.id.localeCompare(b.id)).map(maskSecrets) };
  });

  app.get('/v1/accounts/:account/routes/:id', { config: { access: access.read } }, async (request) => {
    const { account, id } = parse(AccountItemParams, request.params);
    const route = await routes.get(account, id);
    if (!route) throw new SwitchboardError('not_found', `no route "${id}" in account ${account}`);
    return maskSecrets(route);
  });

  app.put('/v1/accounts/:account/routes/:id', { config: { access: access.write } }, async (request, reply) => {
    const { account, id } = parse(AccountItemParams, request.params);
    // Secrets come back masked: a config read and written back keeps the stored ones.
    const body = restoreMasked(request.body, await routes.get(account, id));
    const definition = validateRoute(body, { account, id }, registry);
    await refuseCycles(definition, () => routes.list(account), registry);
    const { route, created } = await routes.save(definition);
    request.log.info({ account_key: account, route_id: id, created }, created ? 'route created' : 'route updated');
    return reply.status(created ? 201 : 200).send(maskSecrets(route));
  });

  app.delete('/v1/accounts/:account/routes/:id', { config: { access: access.write } }, async (request, reply) => {
    const { account, id } = parse(AccountItemParams, request.params);
    if (!(await routes.delete(account, id))) throw new SwitchboardError('not_found', `no route "${id}" in account ${account}`);
    request.log.info({ account_key: account, route_id: id }, 'route deleted');
    return reply.status(204).send();
  });
};
