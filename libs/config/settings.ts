import path from 'node:path';
import { z } from 'zod';
import { STORAGE_DEFAULTS, type StorageLimits } from '#libs/bus';
import type { AccountLimits } from '#libs/limits';
import type { ChannelType } from '#libs/vonage';
import { SenderSettings, sendersFrom } from './senderSettings.js';

const CsvOfMilliseconds = z
  .string()
  .transform((value) => value.split(',').map((part) => Number(part.trim())))
  .pipe(z.array(z.number().int().nonnegative()).min(1));

const Port = z.coerce.number().int().min(0).max(65535);

/** Every setting, read from the environment: the one place defaults live. */
export const SettingsSchema = z.object({
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  SWITCHBOARD_NATS_USER: z.string().min(1).optional(),
  SWITCHBOARD_NATS_PASSWORD: z.string().min(1).optional(),
  PORT: Port.default(3000),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_URL: z.url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SWITCHBOARD_DATA_DIR: z.string().default('./.data'),
  SWITCHBOARD_NATS_CONF: z.string().default('nats.conf'),
  SWITCHBOARD_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024),
  // Past a few thousand levels V8's JSON.stringify overflows the stack: the ceiling keeps well clear of it.
  SWITCHBOARD_JSON_MAX_DEPTH: z.coerce.number().int().min(2).max(512).default(32),
  SWITCHBOARD_JSON_MAX_KEYS: z.coerce.number().int().min(1).default(10_000),
  SWITCHBOARD_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(4),
  SWITCHBOARD_RETRY_DELAYS_MS: CsvOfMilliseconds.default([1000, 5000, 30000]),
  SWITCHBOARD_MAX_DEPTH: z.coerce.number().int().min(1).max(64).default(8),
  SWITCHBOARD_FANOUT_BUDGET: z.coerce.number().int().min(1).max(100_000).default(100),
  // Each account's quotas (libs/limits): far above what one account uses in normal work.
  SWITCHBOARD_MAX_STORED_EVENTS: z.coerce.number().int().min(1).default(1_000_000),
  SWITCHBOARD_MAX_QUEUED_DELIVERIES: z.coerce.number().int().min(1).default(100_000),
  SWITCHBOARD_MAX_DEAD_LETTERS: z.coerce.number().int().min(1).default(10_000),
  SWITCHBOARD_MAX_RUNNING_ESCALATIONS: z.coerce.number().int().min(1).default(1000),
  SWITCHBOARD_QUOTA_REFRESH_MS: z.coerce.number().int().min(50).max(60_000).default(5000),
  SWITCHBOARD_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(64),
  SWITCHBOARD_ACK_WAIT_MS: z.coerce.number().int().min(300).default(30_000),
  SWITCHBOARD_DEDUPE_WINDOW_S: z.coerce.number().int().min(1).default(3600),
  SWITCHBOARD_EVENTS_MAX_AGE_S: z.coerce
    .number()
    .int()
    .min(60)
    .default(7 * 24 * 3600),
  SWITCHBOARD_EVENTS_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .default(STORAGE_DEFAULTS.eventsMaxBytes),
  SWITCHBOARD_DEADLETTER_MAX_AGE_S: z.coerce.number().int().min(3600).default(STORAGE_DEFAULTS.deadLettersMaxAgeS),
  SWITCHBOARD_DEADLETTER_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .default(STORAGE_DEFAULTS.deadLettersMaxBytes),
  SWITCHBOARD_DELIVERIES_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .default(STORAGE_DEFAULTS.deliveriesMaxBytes),
  // At least a day: a delivery is retried for 24 h, and its record must outlive that.
  SWITCHBOARD_DELIVERY_RETENTION_S: z.coerce
    .number()
    .int()
    .min(24 * 3600)
    .default(STORAGE_DEFAULTS.deliveryRecordsMaxAgeS),
  SWITCHBOARD_TIME_SCALE: z.coerce.number().positive().max(1000).default(1),
  SWITCHBOARD_MAX_REPEAT: z.coerce.number().int().min(0).max(100).default(10),
  SWITCHBOARD_ESCALATION_RETENTION_S: z.coerce
    .number()
    .int()
    .min(0)
    .default(30 * 24 * 3600),
  SWITCHBOARD_DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(128),
  SWITCHBOARD_DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  SWITCHBOARD_ALLOW_PRIVATE_TARGETS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  SWITCHBOARD_STREAM_HEARTBEAT_MS: z.coerce.number().int().min(100).default(15_000),
  SWITCHBOARD_HEAP_GROWTH_PERCENT: z.coerce.number().int().min(0).max(1000).default(100),
  VONAGE_API_URL: z.url().default('https://api.nexmo.com'),
  VONAGE_APPLICATION_ID: z.string().min(1).optional(),
  VONAGE_PRIVATE_KEY: z.string().min(1).optional(),
  VONAGE_PRIVATE_KEY_FILE: z.string().min(1).optional(),
  VONAGE_SIGNATURE_SECRET: z.string().min(1).optional(),
  VONAGE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(4),
  VONAGE_RETRY_BASE_MS: z.coerce.number().int().min(1).default(500),
  VONAGE_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  ...SenderSettings,
  SWITCHBOARD_SIM_PORT: Port.default(3100),
  SWITCHBOARD_RATE_EVENTS_PER_S: z.coerce.number().int().min(1).default(500),
  SWITCHBOARD_RATE_HOOK_LAUNCHES_PER_S: z.coerce.number().int().min(1).default(50),
  SWITCHBOARD_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  SWITCHBOARD_JWT_JWKS: z.string().min(1).optional(),
  SWITCHBOARD_JWT_AUDIENCE: z.string().min(1).optional(),
  SWITCHBOARD_JWT_ISSUER: z.string().min(1).optional(),
});

export type RawSettings = z.infer<typeof SettingsSchema>;

/** Roles a process can take; `all` is the default single-process deployment. */
export const ROLES = ['http', 'dispatcher', 'engine', 'deliveries'] as const;
export type Role = (typeof ROLES)[number];

export interface Settings {
  natsUrl: string;
  /** Credentials for the NATS server at natsUrl; for one started here, the password of its server user. */
  natsUser: string | undefined;
  natsPassword: string | undefined;
  http: {
    host: string;
    port: number;
    publicUrl: string | undefined;
    bodyLimit: number;
    /** Requests a second: events published per account, launches per hook. */
    rateLimits: { eventsPerSecond: number; hookLaunchesPerSecond: number };
  };
  /** The shape every JSON document taken in may have (request bodies, hook queries, events on the bus). */
  jsonShape: {
    /** Levels of objects and arrays, the outermost counting as 1. */
    maxDepth: number;
    /** Keys of one object, items of one array. */
    maxEntries: number;
  };
  logLevel: RawSettings['LOG_LEVEL'];
  /** How far the JS heap may grow past what was live at the last full collection, in per cent; 0 leaves it to V8. */
  heapGrowthPercent: number;
  dataDir: string;
  natsConf: string;
  dispatch: {
    maxAttempts: number;
    retryDelaysMs: number[];
    maxDepth: number;
    concurrency: number;
    ackWaitMs: number;
  };
  /** The streams' and buckets' settings (`libs/bus/topology.ts`). */
  streams: { dedupeWindowS: number; eventsMaxAgeS: number } & StorageLimits;
  timeScale: number;
  /** The most repeats an escalation may ask for. */
  /** Each account's limits unless an operator sets its own (`libs/limits`). */
  limits: AccountLimits;
  /** How old an account's counted usage may be when its quotas are checked. */
  quotaRefreshMs: number;
  maxRepeat: number;
  /** How long an ended escalation is kept (0: for ever), before SWITCHBOARD_TIME_SCALE. */
  escalationRetentionS: number;
  subscriptions: {
    /** Webhook POSTs in flight at once per process (they wait on other systems, so more than events). */
    deliveryConcurrency: number;
    /** How long one POST may take before it counts as failed. */
    deliveryTimeoutMs: number;
    /** Whether subscriptions may target loopback and private addresses (off: the SSRF guard). */
    allowPrivateTargets: boolean;
    /** How often an idle event stream (SSE) sends a comment, so proxies keep it open. */
    streamHeartbeatMs: number;
  };
  auth: {
    /** HS256 secret for API tokens; when unset, one is kept in the data directory. */
    jwtSecret: string | undefined;
    /** A JWKS file path or URL: tokens are then verified with those public keys (RS256 / EdDSA). */
    jwks: string | undefined;
    /** When set, every token must carry this `aud` (and `switchboard token create` writes it). */
    audience: string | undefined;
    /** When set, every token must carry this `iss` (and `switchboard token create` writes it). */
    issuer: string | undefined;
  };
  vonage: {
    apiUrl: string;
    applicationId: string | undefined;
    privateKey: string | undefined;
    privateKeyFile: string | undefined;
    signatureSecret: string | undefined;
    /** The client's own retries of one send (5xx, 429, timeouts). */
    client: { maxAttempts: number; baseDelayMs: number; timeoutMs: number };
    senders: Partial<Record<ChannelType, string>>;
    simulatorPort: number;
  };
}

export function settingsFrom(raw: RawSettings, cwd = process.cwd()): Settings {
  return {
    natsUrl: raw.NATS_URL,
    natsUser: raw.SWITCHBOARD_NATS_USER,
    natsPassword: raw.SWITCHBOARD_NATS_PASSWORD,
    http: {
      host: raw.HOST,
      port: raw.PORT,
      publicUrl: raw.PUBLIC_URL,
      bodyLimit: raw.SWITCHBOARD_BODY_LIMIT_BYTES,
      rateLimits: { eventsPerSecond: raw.SWITCHBOARD_RATE_EVENTS_PER_S, hookLaunchesPerSecond: raw.SWITCHBOARD_RATE_HOOK_LAUNCHES_PER_S },
    },
    jsonShape: { maxDepth: raw.SWITCHBOARD_JSON_MAX_DEPTH, maxEntries: raw.SWITCHBOARD_JSON_MAX_KEYS },
    logLevel: raw.LOG_LEVEL,
    heapGrowthPercent: raw.SWITCHBOARD_HEAP_GROWTH_PERCENT,
    dataDir: path.resolve(cwd, raw.SWITCHBOARD_DATA_DIR),
    natsConf: path.resolve(cwd, raw.SWITCHBOARD_NATS_CONF),
    dispatch: {
      maxAttempts: raw.SWITCHBOARD_MAX_ATTEMPTS,
      retryDelaysMs: raw.SWITCHBOARD_RETRY_DELAYS_MS,
      maxDepth: raw.SWITCHBOARD_MAX_DEPTH,
      concurrency: raw.SWITCHBOARD_CONCURRENCY,
      ackWaitMs: raw.SWITCHBOARD_ACK_WAIT_MS,
    },
    streams: {
      dedupeWindowS: raw.SWITCHBOARD_DEDUPE_WINDOW_S,
      eventsMaxAgeS: raw.SWITCHBOARD_EVENTS_MAX_AGE_S,
      eventsMaxBytes: raw.SWITCHBOARD_EVENTS_MAX_BYTES,
      deadLettersMaxAgeS: raw.SWITCHBOARD_DEADLETTER_MAX_AGE_S,
      deadLettersMaxBytes: raw.SWITCHBOARD_DEADLETTER_MAX_BYTES,
      deliveriesMaxBytes: raw.SWITCHBOARD_DELIVERIES_MAX_BYTES,
      deliveryRecordsMaxAgeS: raw.SWITCHBOARD_DELIVERY_RETENTION_S,
    },
    timeScale: raw.SWITCHBOARD_TIME_SCALE,
    maxRepeat: raw.SWITCHBOARD_MAX_REPEAT,
    limits: {
      fanout_budget: raw.SWITCHBOARD_FANOUT_BUDGET,
      max_stored_events: raw.SWITCHBOARD_MAX_STORED_EVENTS,
      max_queued_deliveries: raw.SWITCHBOARD_MAX_QUEUED_DELIVERIES,
      max_dead_letters: raw.SWITCHBOARD_MAX_DEAD_LETTERS,
      max_running_escalations: raw.SWITCHBOARD_MAX_RUNNING_ESCALATIONS,
    },
    quotaRefreshMs: raw.SWITCHBOARD_QUOTA_REFRESH_MS,
    escalationRetentionS: raw.SWITCHBOARD_ESCALATION_RETENTION_S,
    subscriptions: {
      deliveryConcurrency: raw.SWITCHBOARD_DELIVERY_CONCURRENCY,
      deliveryTimeoutMs: raw.SWITCHBOARD_DELIVERY_TIMEOUT_MS,
      allowPrivateTargets: raw.SWITCHBOARD_ALLOW_PRIVATE_TARGETS,
      streamHeartbeatMs: raw.SWITCHBOARD_STREAM_HEARTBEAT_MS,
    },
    auth: {
      jwtSecret: raw.SWITCHBOARD_JWT_SECRET,
      jwks: raw.SWITCHBOARD_JWT_JWKS,
      audience: raw.SWITCHBOARD_JWT_AUDIENCE,
      issuer: raw.SWITCHBOARD_JWT_ISSUER,
    },
    vonage: {
      apiUrl: raw.VONAGE_API_URL,
      applicationId: raw.VONAGE_APPLICATION_ID,
      privateKey: raw.VONAGE_PRIVATE_KEY,
      privateKeyFile: raw.VONAGE_PRIVATE_KEY_FILE,
      signatureSecret: raw.VONAGE_SIGNATURE_SECRET,
      client: { maxAttempts: raw.VONAGE_MAX_ATTEMPTS, baseDelayMs: raw.VONAGE_RETRY_BASE_MS, timeoutMs: raw.VONAGE_TIMEOUT_MS },
      senders: sendersFrom(raw),
      simulatorPort: raw.SWITCHBOARD_SIM_PORT,
    },
  };
}
