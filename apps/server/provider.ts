import { readFile } from 'node:fs/promises';
import type { Settings } from '../../libs/config/index.js';
import { SwitchboardError } from '../../libs/errors/index.js';
import type { Logger } from '../../libs/logger/index.js';
import type { Senders } from '../../libs/messaging/index.js';
import { MessagesClient, type ApplicationCredentials } from '../../libs/vonage/index.js';
import { startSimulator, type Simulator } from '../vonage-sim/index.js';
import { loadOrCreateSimCredentials } from './simCredentials.js';

/** Which provider to use and with what keys, decided before anything starts. */
export type ProviderPlan =
  | { kind: 'vonage'; credentials: ApplicationCredentials; signatureSecret: string | undefined; senders: Senders; apiUrl: string }
  | { kind: 'simulator'; credentials: ApplicationCredentials; signatureSecret: string; senders: Senders; publicKey: string };

export interface Provider {
  client: MessagesClient;
  /** Where the provider lives: Vonage's URL or the simulator's. */
  apiUrl: string;
  simulator: Simulator | undefined;
  close(): Promise<void>;
}

/** Senders the simulator accepts, so the embedded default can message on any channel. */
const SIMULATOR_SENDERS: Senders = {
  sms: 'Switchboard',
  mms: '447700900000',
  whatsapp: '447700900000',
  messenger: 'switchboard',
  viber_service: 'switchboard',
  rcs: 'switchboard',
};

async function configuredCredentials(settings: Settings): Promise<ApplicationCredentials | undefined> {
  const { applicationId, privateKey, privateKeyFile } = settings.vonage;
  if (!applicationId && !privateKey && !privateKeyFile) return undefined;
  if (!applicationId || !(privateKey || privateKeyFile)) {
    throw new SwitchboardError(
      'validation_failed',
      'Vonage credentials are incomplete: set VONAGE_APPLICATION_ID and one of VONAGE_PRIVATE_KEY (PEM) or VONAGE_PRIVATE_KEY_FILE, or none of them to use the simulator',
    );
  }
  // A PEM pasted into one env line often has literal "\n" escapes.
  const pem = privateKey ? privateKey.replace(/\\n/g, '\n') : await readFile(privateKeyFile!, 'utf8');
  return { applicationId, privateKey: pem };
}

/** Vonage when credentials are configured; otherwise the embedded default, the local simulator. */
export async function planProvider(settings: Settings): Promise<ProviderPlan> {
  const credentials = await configuredCredentials(settings);
  if (credentials) {
    return {
      kind: 'vonage',
      credentials,
      signatureSecret: settings.vonage.signatureSecret,
      senders: settings.vonage.senders,
      apiUrl: settings.vonage.apiUrl,
    };
  }
  const sim = await loadOrCreateSimCredentials(settings.dataDir);
  return {
    kind: 'simulator',
    credentials: { applicationId: sim.application_id, privateKey: sim.private_key },
    signatureSecret: sim.signature_secret,
    senders: { ...SIMULATOR_SENDERS, ...settings.vonage.senders },
    publicKey: sim.public_key,
  };
}

async function simulatorAnswers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/_sim/health`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

/**
 * Connects the client; for the simulator, starts it with webhooks pointing at our HTTP API, or
 * reuses one already answering on the simulator port (so several processes share one).
 */
export async function startProvider(plan: ProviderPlan, settings: Settings, webhookBaseUrl: string, log: Logger): Promise<Provider> {
  const clientFor = (baseUrl: string) => new MessagesClient({ baseUrl, credentials: plan.credentials, logger: log, ...settings.vonage.client });
  if (plan.kind === 'vonage') {
    log.info({ api_url: plan.apiUrl, application_id: plan.credentials.applicationId }, 'provider: Vonage');
    return { client: clientFor(plan.apiUrl), apiUrl: plan.apiUrl, simulator: undefined, close: async () => {} };
  }

  const port = settings.vonage.simulatorPort;
  const sharedUrl = `http://127.0.0.1:${port}`;
  if (port !== 0 && (await simulatorAnswers(sharedUrl))) {
    log.info({ api_url: sharedUrl }, 'provider: the local Vonage simulator already running (no Vonage credentials set)');
    return { client: clientFor(sharedUrl), apiUrl: sharedUrl, simulator: undefined, close: async () => {} };
  }
  const simulator = await startSimulator(
    {
      applications: [{ applicationId: plan.credentials.applicationId, publicKey: plan.publicKey }],
      statusWebhookUrl: `${webhookBaseUrl}/webhooks/status`,
      inboundWebhookUrl: `${webhookBaseUrl}/webhooks/inbound`,
      signatureSecret: plan.signatureSecret,
      timeScale: settings.timeScale,
      logger: log.child({ component: 'vonage-sim' }),
    },
    { host: '127.0.0.1', port },
  );
  log.info({ api_url: simulator.url }, 'provider: the local Vonage simulator (no Vonage credentials set)');
  return { client: clientFor(simulator.url), apiUrl: simulator.url, simulator, close: () => simulator.close() };
}
