import { setTimeout as sleep } from 'node:timers/promises';
import { NatsError, type KV, type KvEntry } from 'nats';
import { jsonOrUndefined, type KvBucket } from '#libs/bus';
import type { z } from 'zod';
import { SwitchboardError } from '#libs/errors';
import { inBatches } from './inBatches.js';

export interface Versioned<T> {
  value: T;
  revision: number;
}

/** Compare-and-set retries before giving up: only a hot key fought over by many writers gets near it. */
const MAX_CAS_TRIES = 20;
/** The longest pause between two tries: the writers that collide spread out instead of colliding again. */
const MAX_CAS_PAUSE_MS = 50;

/** JetStream's API error code for a write whose expected last sequence has moved (update) or exists (create). */
const WRONG_LAST_SEQUENCE = 10071;

/** JetStream's answer when a compare-and-set loses: the revision moved or the key exists. */
export function isRevisionConflict(err: unknown): boolean {
  return err instanceof NatsError && err.api_error?.err_code === WRONG_LAST_SEQUENCE;
}

/** Documents read and written by revision: what compare-and-set needs of a store. */
export interface RevisionedStore<T> {
  get(key: string): Promise<Versioned<T> | undefined>;
  create(key: string, value: T): Promise<number>;
  update(key: string, value: T, revision: number): Promise<number>;
}

/**
 * Read-modify-write under compare-and-set, retried when another writer got there first.
 * `change` gets the current document (or undefined) and returns the next one, or undefined to
 * leave it as it is; the answer is the document as it now stands. A caller that holds a recent
 * version passes it as `known` to save the first read (a stale one only costs a retry).
 */
export async function compareAndSet<T>(
  store: RevisionedStore<T>,
  key: string,
  change: (current: T | undefined) => T | undefined,
  known?: Versioned<T>,
): Promise<Versioned<T> | undefined> {
  for (let attempt = 1; ; attempt++) {
    const current = attempt === 1 && known ? known : await store.get(key);
    const next = change(current?.value);
    if (next === undefined) return current;
    try {
      const revision = current ? await store.update(key, next, current.revision) : await store.create(key, next);
      return { value: next, revision };
    } catch (err) {
      if (!isRevisionConflict(err)) throw err;
      if (attempt >= MAX_CAS_TRIES) {
        throw new SwitchboardError(
          'conflict',
          `${key} is being changed by too many writers at once: try again`,
          { tries: attempt },
          { cause: err },
        );
      }
      await sleep(Math.random() * Math.min(MAX_CAS_PAUSE_MS, 2 ** attempt));
    }
  }
}

/**
 * A KV bucket of JSON documents of one schema. Reads validate what is stored, so a document
 * written by an older version surfaces as a clear error, not as a crash deep in a handler.
 */
export class JsonKv<S extends z.ZodType> implements RevisionedStore<z.infer<S>> {
  readonly kv: KV;

  constructor(
    private readonly bucket: KvBucket,
    private readonly schema: S,
  ) {
    this.kv = bucket.kv;
  }

  private decode(entry: KvEntry): z.infer<S> {
    // Not JSON at all reads as undefined, which the schema then reports.
    const parsed = this.schema.safeParse(jsonOrUndefined(entry.value));
    if (!parsed.success) {
      throw new SwitchboardError('internal', `stored document ${entry.bucket}/${entry.key} is not valid: ${parsed.error.message}`);
    }
    return parsed.data;
  }

  async get(key: string): Promise<Versioned<z.infer<S>> | undefined> {
    const entry = await this.kv.get(key);
    if (!entry || entry.operation !== 'PUT') return undefined;
    return { value: this.decode(entry), revision: entry.revision };
  }

  put(key: string, value: z.infer<S>): Promise<number> {
    return this.kv.put(key, JSON.stringify(value));
  }

  /** Writes only if the key is absent; throws a revision conflict otherwise. */
  create(key: string, value: z.infer<S>): Promise<number> {
    return this.kv.create(key, JSON.stringify(value));
  }

  /** Writes only if the key is still at `revision` (compare-and-set). */
  update(key: string, value: z.infer<S>, revision: number): Promise<number> {
    return this.kv.update(key, JSON.stringify(value), revision);
  }

  /** Read-modify-write under compare-and-set (see `compareAndSet`). */
  mutate(
    key: string,
    change: (current: z.infer<S> | undefined) => z.infer<S> | undefined,
    known?: Versioned<z.infer<S>>,
  ): Promise<Versioned<z.infer<S>> | undefined> {
    return compareAndSet(this, key, change, known);
  }

  /**
   * Removes the key with its history and leaves no delete marker, so that listings (`values`)
   * no longer meet it: for index entries, which a bucket would otherwise keep one subject each of.
   */
  async forget(key: string): Promise<void> {
    await this.bucket.jsm.streams.purge(`KV_${this.bucket.name}`, { filter: `$KV.${this.bucket.name}.${key}` });
  }

  /** Deletes the document; returns the revision of the delete, or undefined when there was nothing to delete. */
  async delete(key: string): Promise<number | undefined> {
    const existing = await this.kv.get(key);
    if (!existing || existing.operation !== 'PUT') return undefined;
    await this.kv.delete(key);
    return (await this.kv.get(key))?.revision;
  }

  /**
   * Every current document whose key matches the filter (NATS wildcards). The keys come from the
   * stream's own per-subject index, a snapshot taken at once, then each is read: a key being
   * updated meanwhile is still listed (a watch over the bucket could miss it, as its old revision
   * is removed before the scan reaches it).
   */
  async values(filter: string): Promise<Array<z.infer<S>>> {
    return (await this.entries(filter)).map((entry) => entry.value);
  }

  /** `values`, each with its key. */
  async entries(filter: string): Promise<Array<{ key: string; value: z.infer<S> }>> {
    const entries = await inBatches(await this.keys(filter), async (key) => ({ key, stored: await this.get(key) }));
    return entries.flatMap(({ key, stored }) => (stored ? [{ key, value: stored.value }] : []));
  }

  /** The keys that match the filter, from the stream's per-subject index (a deleted key may be among them). */
  async keys(filter: string): Promise<string[]> {
    const prefix = `$KV.${this.bucket.name}.`;
    const info = await this.bucket.jsm.streams.info(`KV_${this.bucket.name}`, { subjects_filter: `${prefix}${filter}` });
    return Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
  }
}
