import { DiscardPolicy, nanos, StorageType, type JetStreamManager, type KV, type StreamConfig, type StreamInfo } from 'nats';
import { errorMessage } from '#libs/errors';
import type { Logger } from '#libs/logger';
import type { Bus } from './connection.js';
import {
  BUCKETS,
  bucketOptions,
  RETIRED_CONSUMERS,
  streamConfigs,
  type BucketOptions,
  type StorageLimits,
  type TopologyOptions,
} from './topology.js';

/** A KV bucket with what reading it as a stream takes (listing keys from the stream's own index). */
export interface KvBucket {
  name: string;
  kv: KV;
  jsm: JetStreamManager;
}

export type Buckets = Record<keyof typeof BUCKETS, KvBucket>;

/** Binds to a bucket, creating it when missing (nats.js leaves an existing one alone). */
export async function openBucket(bus: Bus, name: string, options: BucketOptions): Promise<KvBucket> {
  const kv = await bus.js.views.kv(name, {
    history: options.history,
    storage: StorageType.File,
    ...(options.ttlMs ? { ttl: options.ttlMs } : {}),
    ...(options.maxBytes ? { max_bytes: options.maxBytes } : {}),
  });
  return { name, kv, jsm: bus.jsm };
}

function isNotFound(err: unknown): boolean {
  return err instanceof Error && /not found/i.test(err.message);
}

type Limits = Partial<Pick<StreamConfig, 'max_bytes' | 'max_msgs' | 'max_msgs_per_subject' | 'max_age' | 'discard'>>;

/** A count limit's value for "none": JetStream answers -1 (or 0) for a limit not set. */
function isUnlimited(value: number): boolean {
  return value <= 0;
}

function isTighter(wanted: number, current: number): boolean {
  return !isUnlimited(wanted) && (isUnlimited(current) || wanted < current);
}

/**
 * The changes that bring an existing stream's limits to the wanted ones, and the limits held back.
 * A looser limit, a discard policy and a retention age (what the setting asks to keep) always
 * apply. A tighter cap removes messages at once: it applies to a stream that drops its oldest
 * anyway when full, and to any other only when what it holds already fits under it, so provisioning
 * never removes a message still to be acted on.
 */
export function limitChanges(existing: Pick<StreamInfo, 'config' | 'state'>, wanted: Limits): { changes: Limits; held: string[] } {
  const changes: Limits = {};
  const held: string[] = [];
  const dropsOldest = (wanted.discard ?? existing.config.discard) === DiscardPolicy.Old;
  const stored: Record<'max_bytes' | 'max_msgs' | 'max_msgs_per_subject', number | undefined> = {
    max_bytes: existing.state.bytes,
    max_msgs: existing.state.messages,
    // The largest subject's count is not in the stream's state: a tighter per-subject cap waits.
    max_msgs_per_subject: undefined,
  };
  for (const field of ['max_bytes', 'max_msgs', 'max_msgs_per_subject'] as const) {
    const target = wanted[field];
    const current = existing.config[field] ?? -1;
    if (target === undefined || target === current) continue;
    const holds = stored[field];
    if (!isTighter(target, current) || dropsOldest || (holds !== undefined && holds <= target)) changes[field] = target;
    else held.push(`${field} ${target} (now ${isUnlimited(current) ? 'none' : current}; it holds ${holds ?? 'more'})`);
  }
  if (wanted.max_age !== undefined && wanted.max_age !== existing.config.max_age) changes.max_age = wanted.max_age;
  if (wanted.discard !== undefined && wanted.discard !== existing.config.discard) changes.discard = wanted.discard;
  return { changes, held };
}

/** A bucket's limits as its stream's. */
function bucketLimits(options: BucketOptions): Limits {
  return { max_bytes: options.maxBytes ?? -1, max_age: options.ttlMs ? nanos(options.ttlMs) : 0 };
}

/**
 * Brings an existing stream up to date: its limits as far as `limitChanges` allows, and direct
 * gets, which a stream made by an earlier version may lack and later code relies on. A change the
 * server refuses (no storage left to set aside for a larger cap) is logged and the stream kept as
 * it is: the server still runs as before.
 */
async function updateStream(
  bus: Bus,
  existing: StreamInfo,
  wanted: Limits & Partial<Pick<StreamConfig, 'allow_direct'>>,
  log: Logger | undefined,
): Promise<void> {
  const name = existing.config.name;
  const { changes, held } = limitChanges(existing, wanted);
  if (held.length > 0)
    log?.warn({ stream: name, held }, 'stream limits not tightened: the stream holds more than they allow; lower them once it has shrunk');
  const update: Partial<StreamConfig> = {
    ...changes,
    ...(wanted.allow_direct && !existing.config.allow_direct ? { allow_direct: true } : {}),
  };
  if (Object.keys(update).length === 0) return;
  try {
    await bus.jsm.streams.update(name, { ...existing.config, ...update });
    log?.info({ stream: name, changes: update }, 'stream limits brought up to date');
  } catch (err) {
    log?.warn({ stream: name, changes: update, err: errorMessage(err) }, 'stream limits not brought up to date: the server refused them');
  }
}

async function createStream(bus: Bus, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await bus.jsm.streams.add(config);
  } catch (err) {
    // nats-server sets a stream's max_bytes aside out of its store: say which limit did not fit.
    throw new Error(
      `creating stream ${config.name} (max_bytes ${config.max_bytes ?? 'none'}): ${errorMessage(err)}; give nats-server more storage (max_file_store) or lower the stream's limit`,
      { cause: err },
    );
  }
}

/**
 * Creates the streams and buckets that are missing, and brings the limits of existing ones up to
 * date where that removes nothing still to be acted on (`limitChanges`). Consumers no version
 * reads any more are deleted.
 */
export async function provisionBus(bus: Bus, options: TopologyOptions, log?: Logger): Promise<Buckets> {
  for (const config of streamConfigs(options)) {
    let existing;
    try {
      existing = await bus.jsm.streams.info(config.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await createStream(bus, config);
      continue;
    }
    await updateStream(bus, existing, config, log);
  }
  for (const { stream, name } of RETIRED_CONSUMERS) {
    await bus.jsm.consumers.delete(stream, name).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }
  const buckets = await openBuckets(bus, options);
  for (const [name, bucket] of Object.entries(bucketOptions(options))) {
    await updateStream(bus, await bus.jsm.streams.info(`KV_${name}`), bucketLimits(bucket), log);
  }
  return buckets;
}

/** Binds to every bucket, creating the missing ones (with the storage limits given, or the defaults). */
export async function openBuckets(bus: Bus, limits: Partial<StorageLimits> = {}): Promise<Buckets> {
  const options = bucketOptions(limits);
  const entries = await Promise.all(
    (Object.keys(BUCKETS) as Array<keyof typeof BUCKETS>).map(
      async (key) => [key, await openBucket(bus, BUCKETS[key], options[BUCKETS[key]])] as const,
    ),
  );
  return Object.fromEntries(entries) as Buckets;
}
