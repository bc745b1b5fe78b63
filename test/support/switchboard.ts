import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadOrCreateServerSecret, mintToken, type MintRequest, type TokenBinding } from '#libs/auth';
import { loadSettings, ROLES, type Role, type Settings } from '#libs/config';
import type { HandlerRegistry } from '#libs/dispatcher';
import type { DestinationStream } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { createLogger } from '#libs/logger';
import { startSwitchboard, type RunningSwitchboard } from '../../apps/server/switchboard.js';
import { apiClient, type ApiClient } from './api.js';
import { startTestNats, type TestNats } from './nats.js';

export interface TestSwitchboard extends RunningSwitchboard {
  /** The API as an operator (every account, admin scope). */
  api: ApiClient;
  /** Mints a token with the server's secret, for tests of access control. */
  token(request: Partial<MintRequest>): Promise<string>;
  settings: Settings;
  dataDir: string;
  /** Stops it and removes its data directory. */
  close(): Promise<void>;
}

/** Environment for a server under test: random ports, its own data dir, fast retries. */
export function testEnv(natsUrl: string, dataDir: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    NATS_URL: natsUrl,
    PORT: '0',
    SWITCHBOARD_SIM_PORT: '0',
    SWITCHBOARD_DATA_DIR: dataDir,
    SWITCHBOARD_RETRY_DELAYS_MS: '50,100,150',
    VONAGE_RETRY_BASE_MS: '10',
    SWITCHBOARD_ACK_WAIT_MS: '2000',
    // Receivers in tests listen on loopback; the security suite turns the SSRF guard back on.
    SWITCHBOARD_ALLOW_PRIVATE_TARGETS: 'true',
    // Suites publish fast on purpose; the security suite sets its own low limits.
    SWITCHBOARD_RATE_EVENTS_PER_S: '100000',
    SWITCHBOARD_RATE_HOOK_LAUNCHES_PER_S: '100000',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
  };
}

/** A token signed with the secret a server keeps in `dataDir` (an operator's unless told otherwise). */
export async function tokenFor(dataDir: string, request: Partial<MintRequest> = {}, binding: TokenBinding = {}): Promise<string> {
  const { secret } = await loadOrCreateServerSecret(dataDir, undefined);
  return (await mintToken(secret, { sub: 'test', accounts: '*', scope: 'admin', ttlSeconds: 3600, ...request }, binding)).token;
}

/** A whole Switchboard in this process, on the suite's own nats-server. */
export async function startTestSwitchboard(
  natsUrl: string,
  options: { env?: Record<string, string>; roles?: Role[]; dataDir?: string; logTo?: DestinationStream; registry?: HandlerRegistry } = {},
): Promise<TestSwitchboard> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'switchboard-data-')));
  const env = testEnv(natsUrl, dataDir, options.env);
  const settings = loadSettings(env);
  const log = createLogger({ level: env.LOG_LEVEL, name: 'switchboard-test' }, options.logTo);
  const running = await startSwitchboard({
    settings,
    roles: new Set(options.roles ?? ROLES),
    log,
    ...(options.registry ? { registry: options.registry } : {}),
  });
  const token = (request: Partial<MintRequest>) => tokenFor(dataDir, request, settings.auth);
  return {
    ...running,
    api: apiClient(running.url ?? '', await token({})),
    token,
    settings,
    dataDir,
    async close() {
      await running.stop();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * One Switchboard, on a nats-server of its own, for a whole suite: started before its tests and
 * stopped after. The returned object stands for the running Switchboard once started.
 */
export function useSwitchboard(options: Parameters<typeof startTestSwitchboard>[1] = {}): TestSwitchboard {
  let nats: TestNats | undefined;
  let running: TestSwitchboard | undefined;
  beforeAll(async () => {
    nats = await startTestNats();
    running = await startTestSwitchboard(nats.url, options);
  });
  afterAll(async () => {
    await running?.close();
    await nats?.stop();
  });
  return new Proxy({} as TestSwitchboard, {
    get(_target, property) {
      if (!running) throw new Error("the suite's Switchboard is not started yet: use it inside tests and hooks");
      return Reflect.get(running, property) as unknown;
    },
  });
}
