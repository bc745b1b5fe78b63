import { StorageType, type JetStreamManager, type KV } from 'nats';
import type { Bus } from './connection.js';
import { BUCKETS, BUCKET_OPTIONS, RETIRED_CONSUMERS, streamConfigs, type TopologyOptions } from './topology.js';

/** A KV bucket with what reading it as a stream takes (listing keys from the stream's own index). */
export interface KvBucket {
  name: string;
  kv: KV;
  jsm: JetStreamManager;
}

export type Buckets = Record<keyof typeof BUCKETS, KvBucket>;

/** Binds to a bucket, creating it when missing (nats.js leaves an existing one alone). */
export async function openBucket(bus: Bus, name: string, options: { history: number; ttlMs?: number }): Promise<KvBucket> {
  const kv = await bus.js.views.kv(name, { history: options.history, storage: StorageType.File, ...(options.ttlMs ? { ttl: options.ttlMs } : {}) });
  return { name, kv, jsm: bus.jsm };
}

function isNotFound(err: unknown): boolean {
  return err instanceof Error && /not found/i.test(err.message);
}

/**
 * Creates the streams and buckets that are missing; existing ones are left as they are, but for
 * direct gets, which a stream made by an earlier version may lack and later code relies on.
 * Consumers no version reads any more are deleted.
 */
export async function provisionBus(bus: Bus, options: TopologyOptions): Promise<Buckets> {
  for (const config of streamConfigs(options)) {
    let existing;
    try {
      existing = await bus.jsm.streams.info(config.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await bus.jsm.streams.add(config);
      continue;
    }
    if (config.allow_direct && !existing.config.allow_direct) await bus.jsm.streams.update(config.name, { ...existing.config, allow_direct: true });
  }
  for (const { stream, name } of RETIRED_CONSUMERS) {
    await bus.jsm.consumers.delete(stream, name).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }
  return openBuckets(bus);
}

/** Binds to every bucket, creating the missing ones. */
export async function openBuckets(bus: Bus): Promise<Buckets> {
  const entries = await Promise.all(
    (Object.keys(BUCKETS) as Array<keyof typeof BUCKETS>).map(async (key) => [key, await openBucket(bus, BUCKETS[key], BUCKET_OPTIONS[BUCKETS[key]])] as const),
  );
  return Object.fromEntries(entries) as Buckets;
}
