import Fastify from 'fastify';
import type { z } from 'zod';
import { createLogger, type Logger } from '#libs/logger';
import { ApplicationKeys, type SimApplication } from './applicationKeys.js';
import { checked } from './checked.js';
import { controlRoutes } from './controlRoutes.js';
import { newControlToken } from './controlToken.js';
import { dispatchRoute } from './dispatchRoute.js';
import { MessageStore, type SimMessage } from './messageStore.js';
import { messagesRoute } from './messagesRoute.js';
import { DEFAULT_SCENARIO, Scenario } from './scenario.js';
import { ScenarioBook } from './scenarioBook.js';
import { ScenarioTarget } from './scenarioTarget.js';
import { SimContext } from './simContext.js';
import { WebhookSender } from './webhookSender.js';

export interface SimulatorOptions {
  applications: SimApplication[];
  /** Where to POST status and inbound webhooks; can be changed later with setWebhooks. */
  statusWebhookUrl?: string;
  inboundWebhookUrl?: string;
  /** When set, every webhook carries `Authorization: Bearer <signWebhook(...)>`. */
  signatureSecret?: string;
  /** The `api_key` claim of signed webhooks. Default "simulator". */
  apiKey?: string;
  /** Multiplies every scenario delay, Dispatch expiry and webhook retry delay. Default 1. */
  timeScale?: number;
  /** For recipients without a scenario. Default: read (delivered after 200 ms, read after 1 s). */
  defaultScenario?: Scenario;
  /** Messages kept for `messages()`; past it the oldest are forgotten. Default 100 000. */
  maxRecordedMessages?: number;
  /** What `/_sim/*` (all but `GET /_sim/health`) requires as `Authorization: Bearer`. Default: a fresh random one. */
  controlToken?: string;
  logger?: Logger;
}

export interface Simulator {
  url: string;
  /** The bearer token the control API `/_sim/*` requires. */
  controlToken: string;
  close(): Promise<void>;
  setWebhooks(urls: { status?: string; inbound?: string }): void;
  /** What happens to messages to a recipient: a bare address on every channel, `{channel, recipient}` on one (which wins). */
  setScenario(target: string | z.input<typeof ScenarioTarget>, scenario: Scenario): void;
  clearScenarios(): void;
  messages(filter?: { to?: string }): SimMessage[];
  /** Stops pending scenarios and webhooks, forgets messages and scenarios. */
  reset(): void;
}

/** Starts a local Vonage (Messages v1 and Dispatch v0.1) on `listen` (default 127.0.0.1, any free port). */
export async function startSimulator(opts: SimulatorOptions, listen: { host?: string; port?: number } = {}): Promise<Simulator> {
  const logger = (opts.logger ?? createLogger({ name: 'vonage-sim' })).child({ component: 'vonage-sim' });
  const timeScale = opts.timeScale ?? 1;
  const ctx = new SimContext(
    new ApplicationKeys(opts.applications),
    new MessageStore(opts.maxRecordedMessages ?? 100_000),
    new ScenarioBook(checked(Scenario, opts.defaultScenario ?? DEFAULT_SCENARIO, 'defaultScenario')),
    new WebhookSender({ signatureSecret: opts.signatureSecret, apiKey: opts.apiKey ?? 'simulator', timeScale, logger }),
    { status: opts.statusWebhookUrl, inbound: opts.inboundWebhookUrl },
    timeScale,
    logger,
  );

  const app = Fastify({ logger: false });
  await app.register(messagesRoute, { ctx });
  await app.register(dispatchRoute, { ctx });
  const controlToken = opts.controlToken ?? newControlToken();
  await app.register(controlRoutes, { ctx, controlToken });
  const host = listen.host ?? '127.0.0.1';
  await app.listen({ host, port: listen.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url, applications: ctx.applications.applicationIds, timeScale }, 'Vonage simulator listening');

  return {
    url,
    controlToken,
    async close() {
      ctx.close();
      await app.close();
    },
    setWebhooks(urls) {
      if (urls.status !== undefined) ctx.urls.status = urls.status;
      if (urls.inbound !== undefined) ctx.urls.inbound = urls.inbound;
    },
    setScenario(target, scenario) {
      const recipients = checked(ScenarioTarget, typeof target === 'string' ? { recipient: target } : target, 'target');
      ctx.scenarios.set(recipients, checked(Scenario, scenario, 'scenario'));
    },
    clearScenarios() {
      ctx.scenarios.clear();
    },
    messages(filter) {
      return ctx.store.list(filter);
    },
    reset() {
      ctx.reset();
    },
  };
}
