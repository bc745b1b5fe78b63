import { readFile } from 'node:fs/promises';
import type { Settings } from '#libs/config';
import { SwitchboardError } from '#libs/errors';
import type { Logger } from '#libs/logger';
import type { Senders } from '#libs/messaging';
import type { ProviderInfo } from '#libs/dispatcher';
import {
  CHANNEL_TYPES,
  CHANNELS,
  DispatchClient,
  MessagesClient,
  type ApplicationCredentials,
  type SenderFormat,
  type VonageClientOptions,
} from '#libs/vonage';
import { startSimulator, type Simulator } from '#libs/vonage-sim';
import { loadOrCreateSimCredentials } from './simCredentials.js';

/** Which provider to use and with what keys, decided before anything starts. */
export type ProviderPlan =
  | { kind: 'vonage'; credentials: ApplicationCredentials; signatureSecret: string; senders: Senders; apiUrl: string }
  | {
      kind: 'simulator';
      credentials: ApplicationCredentials;
      signatureSecret: string;
      senders: Senders;
      publicKey: string;
      controlToken: string;
    };

export interface Provider {
  client: MessagesClient;
  dispatch: DispatchClient;
  info: ProviderInfo;
  /** Where the provider lives: Vonage's URL or the simulator's. */
  apiUrl: string;
  /** The simulator this process started; undefined with Vonage or when sharing another process's. */
  simulator: Simulator | undefined;
  /** The bearer token of the simulator's control API `/_sim/*` at `apiUrl`, shared or not; undefined with Vonage. */
  simulatorControlToken: string | undefined;
  /** Points the simulator's webhooks at our HTTP API once its address is known. */
  useWebhookBase(baseUrl: string): void;
  close(): Promise<void>;
}

function webhookUrls(baseUrl: string): { status: string; inbound: string } {
  return { status: `${baseUrl}/webhooks/status`, inbound: `${baseUrl}/webhooks/inbound` };
}

/** A sender of each format the simulator accepts, so the embedded default can message on any channel. */
const SIMULATOR_SENDER: Readonly<Record<SenderFormat, string>> = {
  number_or_name: 'Switchboard',
  number: '447700900000',
  id: 'switchboard',
};
const SIMULATOR_SENDERS: Senders = Object.fromEntries(CHANNEL_TYPES.map((type) => [type, SIMULATOR_SENDER[CHANNELS[type].sender]]));

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
    if (!settings.vonage.signatureSecret) {
      throw new SwitchboardError(
        'validation_failed',
        "VONAGE_SIGNATURE_SECRET is required with Vonage credentials: webhooks are verified with it (the account's signature secret in the Vonage dashboard)",
      );
    }
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
    controlToken: sim.control_token,
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
export async function startProvider(
  plan: ProviderPlan,
  settings: Settings,
  webhookBaseUrl: string | undefined,
  log: Logger,
): Promise<Provider> {
  const info: ProviderInfo = { simulated: plan.kind === 'simulator', applicationId: plan.credentials.applicationId };
  const clientsFor = (baseUrl: string, simulator?: Simulator): Provider => {
    const options: VonageClientOptions = { baseUrl, credentials: plan.credentials, logger: log, ...settings.vonage.client };
    return {
      client: new MessagesClient(options),
      dispatch: new DispatchClient(options),
      info,
      apiUrl: baseUrl,
      simulator,
      simulatorControlToken: plan.kind === 'simulator' ? plan.controlToken : undefined,
      useWebhookBase: (webhookBase) => simulator?.setWebhooks(webhookUrls(webhookBase)),
      close: async () => simulator?.close(),
    };
  };
  if (plan.kind === 'vonage') {
    log.info({ api_url: plan.apiUrl, application_id: plan.credentials.applicationId }, 'provider: Vonage');
    return clientsFor(plan.apiUrl);
  }

  const port = settings.vonage.simulatorPort;
  const sharedUrl = `http://127.0.0.1:${port}`;
  if (port !== 0 && (await simulatorAnswers(sharedUrl))) {
    log.info({ api_url: sharedUrl }, 'provider: the local Vonage simulator already running (no Vonage credentials set)');
    return clientsFor(sharedUrl);
  }
  const simulator = await startSimulator(
    {
      applications: [{ applicationId: plan.credentials.applicationId, publicKey: plan.publicKey }],
      statusWebhookUrl: webhookBaseUrl && webhookUrls(webhookBaseUrl).status,
      inboundWebhookUrl: webhookBaseUrl && webhookUrls(webhookBaseUrl).inbound,
      signatureSecret: plan.signatureSecret,
      controlToken: plan.controlToken,
      timeScale: settings.timeScale,
      logger: log.child({ component: 'vonage-sim' }),
    },
    { host: '127.0.0.1', port },
  );
  log.info({ api_url: simulator.url }, 'provider: the local Vonage simulator (no Vonage credentials set)');
  return clientsFor(simulator.url, simulator);
}
