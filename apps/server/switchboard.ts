import type { MintedToken } from '#libs/auth';
import { openBus, provisionBus, type Bus, type NatsServerProcess } from '#libs/bus';
import { scaled, type Role, type Settings } from '#libs/config';
import { DeadLetters } from '#libs/deadletters';
import { CausedEvents, Dispatcher, FanoutBudget, RouteTable, UnroutedEvents, type HandlerRegistry } from '#libs/dispatcher';
import { EscalationEngine, EscalationRepository, ESCALATION_TIMER, startRecovery, startRetention } from '#libs/escalation';
import { startBusIngest } from '#libs/ingest';
import { AccountUsage, LimitsTable, Quotas } from '#libs/limits';
import { serverLimitList } from './http/limitsCatalogue.js';
import type { Logger } from '#libs/logger';
import { Messenger, ProviderInbox, StoredReceipts } from '#libs/messaging';
import { createStores, type LiveTable, type Stores, type Subscription } from '#libs/store';
import { Timers } from '#libs/timers';
import { HOOK_TIMER, HookLauncher, HookRepository } from '#libs/hooks';
import { Deliveries, deliveryTargets, retrySchedule, startDeliveryWorkers, SubscriptionMatcher } from '#libs/subscriptions';
import { handlerRegistry } from '#handlers';
import { setUpApiAuth } from './auth.js';
import type { RouteAccess } from './http/accessControl.js';
import { buildHttpApp } from './http/app.js';
import { planProvider, startProvider, type Provider } from './provider.js';

/** When the provider first retries a webhook it could not deliver: Vonage's 5 s (before SWITCHBOARD_TIME_SCALE). */
const PROVIDER_FIRST_RETRY_MS = 5000;
/** The longest wait between tries of an escalation's send that the provider does not take. */
const SEND_RETRY_MAX_MS = 60_000;
/** How often ended escalations past their retention are looked for (before SWITCHBOARD_TIME_SCALE). */
const RETENTION_PASS_MS = 3600_000;

export interface SwitchboardOptions {
  settings: Settings;
  roles: ReadonlySet<Role>;
  log: Logger;
  registry?: HandlerRegistry;
}

export interface RunningSwitchboard {
  /** The HTTP API's base URL, when this process serves HTTP. */
  url: string | undefined;
  /** The HTTP API's routes with who may call each (empty without the http role). */
  httpRoutes: readonly RouteAccess[];
  natsUrl: string;
  bus: Bus;
  stores: Stores;
  /** Launch hooks and their pending launches. */
  hookStore: HookRepository;
  escalationStore: EscalationRepository;
  provider: Provider;
  dispatcher: Dispatcher | undefined;
  escalations: EscalationEngine;
  /** The nats-server this process started, if it had to. */
  natsServer: NatsServerProcess | undefined;
  /** An operator token, minted when this start generated the server secret (the first start). */
  firstOperatorToken: MintedToken | undefined;
  stop(): Promise<void>;
}

/**
 * Starts the roles this process takes, in dependency order: the bus and its topology, the HTTP
 * API (its URL is where the simulator posts webhooks), the provider, then the workers. Stopping
 * runs the same steps backwards.
 */
export async function startSwitchboard({
  settings,
  roles,
  log,
  registry = handlerRegistry({ maxRepeat: settings.maxRepeat }),
}: SwitchboardOptions): Promise<RunningSwitchboard> {
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch((err: unknown) => log.error({ err }, 'error while stopping'));
  };
  try {
    const { bus, server: natsServer, url: natsUrl } = await openBus(settings, `switchboard ${[...roles].join('+')}`, log);
    if (natsServer) stops.push(() => natsServer.stop());
    stops.push(() => bus.close());
    const buckets = await provisionBus(bus, settings.streams, log.child({ component: 'provisioning' }));
    const stores = createStores(buckets);
    const hookStore = new HookRepository(buckets.hooks);
    const escalationStore = new EscalationRepository(buckets.escalations);
    const limits = await LimitsTable.start(buckets.limits, settings.limits, log.child({ component: 'limits' }));
    stops.push(async () => limits.stop());
    const deadLetters = new DeadLetters(bus);
    // Every consumer gives up on a message that keeps failing as the dispatcher does on a step.
    const poison = { maxAttempts: settings.dispatch.maxAttempts, delaysMs: settings.dispatch.retryDelaysMs, deadLetters };
    const unrouted = new UnroutedEvents(bus);
    const fanout = new FanoutBudget(bus, (account) => limits.for(account).fanout_budget);
    const events = new CausedEvents(bus, deadLetters, settings.dispatch.maxDepth, fanout, log.child({ component: 'events' }));
    const inbox = new ProviderInbox(bus, log.child({ component: 'provider' }));
    const stored = new StoredReceipts(bus, inbox.filed);
    const plan = await planProvider(settings);
    const fixedBase =
      settings.http.publicUrl ?? (settings.http.port !== 0 ? `http://${settings.http.host}:${settings.http.port}` : undefined);
    const provider = await startProvider(plan, settings, fixedBase, log);
    stops.push(() => provider.close());
    const messenger = new Messenger(provider.client, stores.messages, plan.senders, stored, log.child({ component: 'messenger' }));
    const timers = new Timers(bus);
    // How long one worker holds an escalation's outbox: long enough for a send with all its provider retries.
    const claimMs = settings.dispatch.ackWaitMs * 2;
    const escalations = new EscalationEngine({
      escalations: escalationStore,
      messages: stores.messages,
      messenger,
      dispatch: provider.dispatch,
      timers,
      events,
      stored,
      webhooks: inbox.lag,
      scale: (seconds) => scaled(settings, seconds * 1000),
      claimMs,
      sendRetry: { baseMs: settings.vonage.client.baseDelayMs * 2, maxMs: SEND_RETRY_MAX_MS },
      log: log.child({ component: 'escalations' }),
    });
    const services = { stores, messenger, provider: provider.info, escalations };
    const deliveries = new Deliveries(bus, stores.deliveries);
    // SSRF guard: subscriptions reach public hosts only, unless the operator allows private ones.
    const targets = deliveryTargets({ allowPrivate: settings.subscriptions.allowPrivateTargets });
    const hooks = new HookLauncher({
      hooks: hookStore,
      contacts: stores.contacts,
      routes: stores.routes,
      timers,
      bus,
      scale: (ms) => scaled(settings, ms),
      jsonShape: settings.jsonShape,
      log: log.child({ component: 'hooks' }),
    });

    let url: string | undefined;
    let httpRoutes: readonly RouteAccess[] = [];
    let firstOperatorToken: MintedToken | undefined;
    if (roles.has('http')) {
      const auth = await setUpApiAuth(settings, buckets.revocations, log.child({ component: 'tokens' }));
      stops.push(async () => auth.revoked.stop());
      firstOperatorToken = auth.firstOperatorToken;
      const quotas = new Quotas(limits, new AccountUsage(bus, settings.quotaRefreshMs), log.child({ component: 'quotas' }));
      const { app, routes } = await buildHttpApp({
        verifyToken: auth.verify,
        revokedTokens: auth.revoked,
        bus,
        stores,
        registry,
        services,
        escalations,
        escalationStore,
        maxRepeat: settings.maxRepeat,
        deadLetters,
        unrouted,
        inbox,
        stored,
        signatureSecret: plan.signatureSecret,
        log,
        bodyLimit: settings.http.bodyLimit,
        jsonShape: settings.jsonShape,
        rateLimits: settings.http.rateLimits,
        deliveries,
        checkDeliveryUrl: targets.check,
        streamHeartbeatMs: settings.subscriptions.streamHeartbeatMs,
        hooks,
        hookStore,
        publicUrl: () => settings.http.publicUrl ?? url ?? `http://${settings.http.host}:${settings.http.port}`,
        limits: {
          table: limits,
          quotas,
          serverLimits: serverLimitList(settings),
        },
      });
      httpRoutes = routes;
      await app.listen({ host: settings.http.host, port: settings.http.port });
      stops.push(() => app.close());
      // The bus's edge beside the API's: what event sources publish, checked and stored.
      const ingest = await startBusIngest({
        bus,
        deadLetters,
        jsonShape: settings.jsonShape,
        quotas,
        log: log.child({ component: 'ingest' }),
      });
      stops.push(() => ingest.stop());
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : settings.http.port;
      url = `http://${settings.http.host}:${port}`;
      if (!fixedBase) provider.useWebhookBase(url);
    }

    // One live table per process: the dispatcher matches events against it, the deliveries role checks each job's subscription.
    let subscriptionTable: LiveTable<Subscription> | undefined;
    const liveSubscriptions = async () => {
      if (!subscriptionTable) {
        const table = await stores.subscriptions.live(log.child({ component: 'subscriptions' }));
        stops.push(async () => table.stop());
        subscriptionTable = table;
      }
      return subscriptionTable;
    };

    let dispatcher: Dispatcher | undefined;
    if (roles.has('dispatcher')) {
      const routes = await RouteTable.start(stores.routes, log.child({ component: 'routes' }));
      stops.push(async () => routes.stop());
      dispatcher = new Dispatcher({
        bus,
        routes,
        registry,
        services,
        deadLetters,
        unrouted,
        subscribers: new SubscriptionMatcher({
          subscriptions: await liveSubscriptions(),
          deliveries,
          log: log.child({ component: 'subscription-matcher' }),
        }),
        log: log.child({ component: 'dispatcher' }),
        retry: { maxAttempts: settings.dispatch.maxAttempts, delaysMs: settings.dispatch.retryDelaysMs },
        events,
        concurrency: settings.dispatch.concurrency,
        ackWaitMs: settings.dispatch.ackWaitMs,
        jsonShape: settings.jsonShape,
      });
      await dispatcher.start();
      stops.push(() => dispatcher!.stop());
    }
    if (roles.has('engine')) {
      // Before any expiry: after an outage, the provider retries what it could not deliver (Vonage's first retry is after 5 s).
      await inbox.expectBacklog(scaled(settings, PROVIDER_FIRST_RETRY_MS));
      const timerWorker = await timers.start({
        handlers: {
          [ESCALATION_TIMER]: (payload, fired) => escalations.onTimer(payload, fired),
          [HOOK_TIMER]: (payload) => hooks.onTimer(payload),
        },
        concurrency: settings.dispatch.concurrency,
        ackWaitMs: settings.dispatch.ackWaitMs,
        log: log.child({ component: 'timers' }),
        poison,
      });
      stops.push(() => timerWorker.stop());
      // Work a crash left with no input to bring it back (an API call's), found on the running list.
      const recovery = startRecovery({
        engine: escalations,
        escalations: escalationStore,
        everyMs: claimMs,
        log: log.child({ component: 'recovery' }),
      });
      stops.push(() => recovery.stop());
      const pendingLaunches = await hooks.resume();
      if (pendingLaunches > 0) log.info({ pending: pendingLaunches }, 'pending hook launches: their timers scheduled again');
      if (settings.escalationRetentionS > 0) {
        const keepMs = scaled(settings, settings.escalationRetentionS * 1000);
        // Hourly, or as often as the retention itself when that is shorter (scaled tests), but at most once a second.
        const everyMs = Math.max(1000, Math.min(keepMs, scaled(settings, RETENTION_PASS_MS)));
        const retention = startRetention({ escalations: escalationStore, keepMs, everyMs, log: log.child({ component: 'retention' }) });
        stops.push(() => retention.stop());
      }
      await inbox.start(
        [
          {
            onStatus: (account, webhook) => escalations.onStatus(account, webhook),
            onInbound: (webhook) => escalations.onInbound(webhook),
            onDispatchStatus: (webhook) => escalations.onDispatchStatus(webhook),
            onDispatchReport: (report) => escalations.onDispatchReport(report),
          },
        ],
        { ackWaitMs: settings.dispatch.ackWaitMs, poison },
      );
      stops.push(() => inbox.stop());
    }
    if (roles.has('deliveries')) {
      const deliveryWorkers = await startDeliveryWorkers({
        bus,
        subscriptions: stores.subscriptions,
        table: await liveSubscriptions(),
        records: stores.deliveries,
        targets,
        schedule: retrySchedule((ms) => scaled(settings, ms)),
        deliveryConcurrency: settings.subscriptions.deliveryConcurrency,
        timeoutMs: settings.subscriptions.deliveryTimeoutMs,
        ackWaitMs: settings.dispatch.ackWaitMs,
        log,
        poison,
      });
      stops.push(() => deliveryWorkers.stop());
    }

    return {
      url,
      httpRoutes,
      natsUrl,
      bus,
      stores,
      hookStore,
      escalationStore,
      provider,
      dispatcher,
      escalations,
      natsServer,
      firstOperatorToken,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
