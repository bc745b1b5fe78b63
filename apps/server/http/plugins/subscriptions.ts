import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { SwitchboardError } from '#libs/errors';
import { Token } from '#libs/events';
import { parse } from '#libs/http';
import type { Quotas } from '#libs/limits';
import { SubscriptionFilter, WebhookSecret, type Subscription, type SubscriptionRepository } from '#libs/store';
import { generateSecret, maskSecret, type Deliveries, type DeliveryUrlCheck } from '#libs/subscriptions';
import { AccountItemParams, AccountParams, ListQuery } from '../params.js';
import { access } from '../accessControl.js';

export interface SubscriptionsOptions {
  subscriptions: SubscriptionRepository;
  deliveries: Deliveries;
  /** Where deliveries may go: checked here on every save, and again before each POST. */
  checkUrl: DeliveryUrlCheck;
  /** An account at its queued deliveries quota replays none. */
  quotas: Quotas;
}

const DeliveryParams = z.object({ account: Token, id: Token, delivery_id: Token });

const Url = z.string().min(1).max(2048);

// Strict bodies: a misspelt field is a 400, never a subscription that silently gets more (or less).
const CreateBody = z.strictObject({
  url: Url,
  description: z.string().max(1000).optional(),
  filter: SubscriptionFilter.prefault({}),
  /** Given, or generated; either way shown in the creation's answer only. */
  secret: WebhookSecret.optional(),
  enabled: z.boolean().default(true),
});

const PatchBody = z
  .strictObject({
    url: Url.optional(),
    description: z.string().max(1000).optional(),
    filter: SubscriptionFilter.optional(),
    secret: WebhookSecret.optional(),
    enabled: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'give at least one of url, description, filter, secret, enabled');

/** A subscription as the API shows it after its creation: the secret masked. */
function view(subscription: Subscription) {
  return { ...subscription, secret: maskSecret(subscription.secret) };
}

function notFound(account: string, id: string): SwitchboardError {
  return new SwitchboardError('not_found', `no subscription "${id}" in account ${account}`);
}

export const subscriptionsPlugin: FastifyPluginAsync<SubscriptionsOptions> = async (
  app,
  { subscriptions, deliveries, checkUrl, quotas },
) => {
  async function existing(account: string, id: string): Promise<Subscription> {
    const subscription = await subscriptions.get(account, id);
    if (!subscription) throw notFound(account, id);
    return subscription;
  }

  app.post('/v1/accounts/:account/subscriptions', { config: { access: access.write } }, async (request, reply) => {
    const { account } = parse(AccountParams, request.params);
    const body = parse(CreateBody, request.body);
    const url = await checkUrl(body.url);
    const created = await subscriptions.create(account, { ...body, url: url.href, secret: body.secret ?? generateSecret() });
    request.log.info({ account_key: account, subscription_id: created.id }, 'subscription created');
    return reply.status(201).send(created);
  });

  app.get('/v1/accounts/:account/subscriptions', { config: { access: access.read } }, async (request) => {
    const { account } = parse(AccountParams, request.params);
    const list = await subscriptions.list(account);
    return { subscriptions: list.sort((a, b) => a.created_at.localeCompare(b.created_at)).map(view) };
  });

  app.get('/v1/accounts/:account/subscriptions/:id', { config: { access: access.read } }, async (request) => {
    const { account, id } = parse(AccountItemParams, request.params);
    return view(await existing(account, id));
  });

  app.patch('/v1/accounts/:account/subscriptions/:id', { config: { access: access.write } }, async (request) => {
    const { account, id } = parse(AccountItemParams, request.params);
    const body = parse(PatchBody, request.body);
    const url = body.url === undefined ? undefined : (await checkUrl(body.url)).href;
    const saved = await subscriptions.update(account, id, (current) => ({
      ...current,
      ...body,
      ...(url ? { url } : {}),
      // Enabling again starts afresh: the failures that disabled it are behind it.
      ...(body.enabled ? { disabled: undefined, failing_since: undefined } : {}),
      updated_at: new Date().toISOString(),
    }));
    if (!saved) throw notFound(account, id);
    request.log.info({ account_key: account, subscription_id: id, fields: Object.keys(body) }, 'subscription updated');
    return view(saved.value);
  });

  app.delete('/v1/accounts/:account/subscriptions/:id', { config: { access: access.write } }, async (request, reply) => {
    const { account, id } = parse(AccountItemParams, request.params);
    if (!(await subscriptions.delete(account, id))) throw notFound(account, id);
    request.log.info({ account_key: account, subscription_id: id }, 'subscription deleted');
    return reply.status(204).send();
  });

  app.get('/v1/accounts/:account/subscriptions/:id/deliveries', { config: { access: access.read } }, async (request) => {
    const { account, id } = parse(AccountItemParams, request.params);
    const { limit } = parse(ListQuery, request.query);
    await existing(account, id);
    return { deliveries: await deliveries.list(account, id, limit) };
  });

  app.get('/v1/accounts/:account/subscriptions/:id/deliveries/:delivery_id', { config: { access: access.read } }, async (request) => {
    const { account, id, delivery_id } = parse(DeliveryParams, request.params);
    const delivery = await deliveries.get(account, id, delivery_id);
    if (!delivery) throw new SwitchboardError('not_found', `no delivery ${delivery_id} of subscription "${id}" in account ${account}`);
    return delivery;
  });

  app.post(
    '/v1/accounts/:account/subscriptions/:id/deliveries/:delivery_id/replay',
    { config: { access: access.write } },
    async (request, reply) => {
      const { account, id, delivery_id } = parse(DeliveryParams, request.params);
      await quotas.admit(account, ['max_queued_deliveries']);
      const delivery = await deliveries.replay(await existing(account, id), delivery_id);
      request.log.info({ account_key: account, subscription_id: id, delivery_id, replay: delivery.replays }, 'delivery replayed');
      return reply.status(202).send(delivery);
    },
  );
};
