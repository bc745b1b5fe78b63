import { StorageType, type KV } from 'nats';
import type { Bus } from './connection.js';
import { BUCKETS, BUCKET_OPTIONS, streamConfigs, type TopologyOptions } from './topology.js';

export type Buckets = Record<keyof typeof BUCKETS, KV>;

function isNotFound(err: unknown): boolean {
  return err instanceof Error && /not found/i.test(err.message);
}

/** Creates the streams and buckets that are missing; existing ones are left exactly as they are. */
export async function provisionBus(bus: Bus, options: TopologyOptions): Promise<Buckets> {
  for (const config of streamConfigs(options)) {
    try {
      await bus.jsm.streams.info(config.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await bus.jsm.streams.add(config);
    }
  }
  return openBuckets(bus);
}

/** Binds to every bucket, creating the missing ones (nats.js leaves existing ones alone). */
export async function openBuckets(bus: Bus): Promise<Buckets> {
  const entries = await Promise.all(
    (Object.keys(BUCKETS) as Array<keyof typeof BUCKETS>).map(async (key) => {
      const name = BUCKETS[key];
      const { history, ttlMs } = BUCKET_OPTIONS[name];
      const kv = await bus.js.views.kv(name, { history, storage: StorageType.File, ...(ttlMs ? { ttl: ttlMs } : {}) });
      return [key, kv] as const;
    }),
  );
  return Object.fromEntries(entries) as Buckets;
}
