import helmet from '@fastify/helmet';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { RevokedTokens, TokenVerifier } from '#libs/auth';
import type { Bus } from '#libs/bus';
import type { DeadLetters } from '#libs/deadletters';
import type { EscalationEngine, EscalationRepository } from '#libs/escalation';
import type { HandlerRegistry, HandlerServices, UnroutedEvents } from '#libs/dispatcher';
import type { Logger } from '#libs/logger';
import type { ProviderInbox, StoredReceipts } from '#libs/messaging';
import type { Stores } from '#libs/store';
import type { Settings } from '#libs/config';
import { installErrorHandling, installJsonBodyParser, installRateLimits } from '#libs/http';
import type { JsonShapeLimits } from '#libs/jsonShape';
import { installAccessControl, originFormUrl, type RouteAccess } from './accessControl.js';
import { contactsPlugin } from './plugins/contacts.js';
import { deadLettersPlugin } from './plugins/deadLetters.js';
import { escalationsPlugin } from './plugins/escalations.js';
import { eventsPlugin } from './plugins/events.js';
import { handlersPlugin } from './plugins/handlers.js';
import { healthPlugin } from './plugins/health.js';
import { limitsPlugin, type LimitsOptions } from './plugins/limits.js';
import { messagesPlugin } from './plugins/messages.js';
import { routesPlugin } from './plugins/routes.js';
import { webhooksPlugin } from './plugins/webhooks.js';
import type { HookLauncher, HookRepository } from '#libs/hooks';
import { broadcastsPlugin } from './plugins/broadcasts.js';
import { hooksPlugin } from './plugins/hooks.js';
import type { Deliveries, DeliveryUrlCheck } from '#libs/subscriptions';
import { eventStreamPlugin } from './plugins/eventStream.js';
import { subscriptionsPlugin } from './plugins/subscriptions.js';
import { tokensPlugin } from './plugins/tokens.js';

export interface HttpDeps {
  bus: Bus;
  stores: Stores;
  registry: HandlerRegistry;
  services: HandlerServices;
  escalations: EscalationEngine;
  escalationStore: EscalationRepository;
  maxRepeat: number;
  deadLetters: DeadLetters;
  unrouted: UnroutedEvents;
  inbox: ProviderInbox;
  stored: StoredReceipts;
  /** Every provider webhook must be signed with it (Vonage's signature secret, or the simulator's). */
  signatureSecret: string;
  log: Logger;
  bodyLimit: number;
  /** The shape every JSON body and hook query may have, checked before any route sees it. */
  jsonShape: JsonShapeLimits;
  rateLimits: Settings['http']['rateLimits'];
  verifyToken: TokenVerifier;
  revokedTokens: RevokedTokens;
  /** Launch hooks: calls on /hooks/<token>. */
  hooks: HookLauncher;
  hookStore: HookRepository;
  /** The base of the launch URLs the hooks API answers with: PUBLIC_URL, or the API's own address. */
  publicUrl: () => string;
  deliveries: Deliveries;
  /** Where webhook deliveries may go (the subscriptions API checks every URL it saves). */
  checkDeliveryUrl: DeliveryUrlCheck;
  /** Comment lines on idle event streams (SSE). */
  streamHeartbeatMs: number;
  /** Each account's limits and quotas, and the server's limits, published and checked. */
  limits: LimitsOptions;
}

export interface HttpApp {
  app: FastifyInstance;
  /** Every route with who may call it. */
  routes: readonly RouteAccess[];
}

/**
 * The HTTP API: one encapsulated plugin per area, one error format for all of them, and access
 * declared by every route and checked on the route that matched.
 */
export async function buildHttpApp(deps: HttpDeps): Promise<HttpApp> {
  // Typed as fastify's logger, so that the app is typed as fastify's default instance.
  const httpLog: FastifyBaseLogger = deps.log.child({ component: 'http' });
  const app = Fastify({
    loggerInstance: httpLog,
    bodyLimit: deps.bodyLimit,
    // Per-request lines would drown the log at event rates; handlers log what happened instead.
    logController: new LogController({ disableRequestLogging: true }),
    rewriteUrl: (request) => originFormUrl(request.url ?? '/'),
  });
  installErrorHandling(app, deps.bodyLimit);
  installJsonBodyParser(app, deps.jsonShape);
  // The API answers JSON only: nothing of it is a page to frame, sniff or run scripts in, and
  // answers are per caller, so no cache keeps them (some carry a secret shown once). Set first,
  // so that answers refused by the checks below carry them too.
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    frameguard: { action: 'deny' },
    hsts: false,
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });
  const routes = installAccessControl(app, deps.verifyToken);
  await installRateLimits(app);

  await app.register(healthPlugin, { bus: deps.bus, log: deps.log.child({ component: 'health' }) });
  await app.register(handlersPlugin, { registry: deps.registry });
  await app.register(eventsPlugin, {
    bus: deps.bus,
    unrouted: deps.unrouted,
    routes: deps.stores.routes,
    perSecond: deps.rateLimits.eventsPerSecond,
    quotas: deps.limits.quotas,
  });
  await app.register(routesPlugin, { routes: deps.stores.routes, registry: deps.registry });
  await app.register(contactsPlugin, { contacts: deps.stores.contacts });
  await app.register(deadLettersPlugin, { deadLetters: deps.deadLetters });
  await app.register(messagesPlugin, { messages: deps.stores.messages, stored: deps.stored });
  await app.register(escalationsPlugin, {
    bus: deps.bus,
    services: deps.services,
    engine: deps.escalations,
    escalationStore: deps.escalationStore,
    maxRepeat: deps.maxRepeat,
    log: deps.log,
    quotas: deps.limits.quotas,
  });
  await app.register(webhooksPlugin, { inbox: deps.inbox, signatureSecret: deps.signatureSecret, jsonShape: deps.jsonShape });
  await app.register(hooksPlugin, {
    hooks: deps.hookStore,
    launcher: deps.hooks,
    publicUrl: deps.publicUrl,
    perSecond: deps.rateLimits.hookLaunchesPerSecond,
    jsonShape: deps.jsonShape,
    quotas: deps.limits.quotas,
    log: deps.log.child({ component: 'hooks' }),
  });
  await app.register(broadcastsPlugin, { broadcasts: deps.stores.broadcasts });
  await app.register(subscriptionsPlugin, {
    subscriptions: deps.stores.subscriptions,
    deliveries: deps.deliveries,
    checkUrl: deps.checkDeliveryUrl,
    quotas: deps.limits.quotas,
  });
  await app.register(eventStreamPlugin, {
    bus: deps.bus,
    heartbeatMs: deps.streamHeartbeatMs,
    log: deps.log.child({ component: 'event-stream' }),
  });
  await app.register(tokensPlugin, { revoked: deps.revokedTokens });
  await app.register(limitsPlugin, deps.limits);
  return { app, routes };
}
