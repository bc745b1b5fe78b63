import type { FastifyPluginAsync } from 'fastify';
import type { Bus } from '#libs/bus';
import type { UnroutedEvents } from '#libs/dispatcher';
import { validationFailed } from '#libs/errors';
import { EventInput, publishEvent, ROUTES_REVISION_HEADER } from '#libs/events';
import type { RouteRepository } from '#libs/store';
import { parse, rateLimitPer } from '#libs/http';
import type { Quotas } from '#libs/limits';
import { AccountParams, ListQuery } from '../params.js';
import { access } from '../accessControl.js';

/** What a source may post: the envelope without the account (it is in the URL). */
const PublishBody = EventInput.extend({ account_key: EventInput.shape.account_key.optional() });

export interface EventsOptions {
  bus: Bus;
  unrouted: UnroutedEvents;
  /** Read for the routes revision this process has written, which published events carry. */
  routes: RouteRepository;
  /** Events a second each account may publish. */
  perSecond: number;
  /** An account at any of its quotas publishes no new event. */
  quotas: Quotas;
}

export const eventsPlugin: FastifyPluginAsync<EventsOptions> = async (app, { bus, unrouted, routes, perSecond, quotas }) => {
  const perAccount = rateLimitPer(perSecond, (request) => `events:${(request.params as { account?: string }).account}`);
  app.post('/v1/accounts/:account/events', { config: { ...perAccount, access: access.write } }, async (request, reply) => {
    const { account } = parse(AccountParams, request.params);
    const body = parse(PublishBody, request.body);
    if (body.account_key !== undefined && body.account_key !== account) {
      throw validationFailed([{ path: 'account_key', message: `must match the account in the URL ("${account}")` }]);
    }
    await quotas.admit(account);
    const revision = routes.writtenRevision;
    const published = await publishEvent(
      bus.js,
      { ...body, account_key: account },
      {
        headers: revision > 0 ? { [ROUTES_REVISION_HEADER]: String(revision) } : undefined,
      },
    );
    request.log.info({ event_id: published.event.event_id, subject: published.subject, duplicate: published.duplicate }, 'event published');
    return reply.status(202).send({
      event_id: published.event.event_id,
      subject: published.subject,
      seq: published.seq,
      duplicate: published.duplicate,
      timestamp: published.event.timestamp,
    });
  });

  app.get('/v1/accounts/:account/events/unrouted', { config: { access: access.read } }, async (request) => {
    const { account } = parse(AccountParams, request.params);
    const { limit } = parse(ListQuery, request.query);
    return { unrouted: await unrouted.list(account, limit) };
  });
};
