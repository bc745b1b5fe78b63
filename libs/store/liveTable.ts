import type { KV, KvEntry } from 'nats';
import type { z } from 'zod';
import { jsonOrUndefined } from '#libs/bus';
import type { Logger } from '#libs/logger';

export interface LiveTableOptions<T> {
  /** What a document is, for the logs: `route` logs `route loaded` with a `route_id`. */
  kind: string;
  log: Logger;
  /** A second key to find documents by (`byIndex`), such as a hook's token hash. */
  indexBy?: (doc: T) => string;
}

/**
 * Every document of a bucket keyed `<account_key>.<id>`, in memory and kept current by watching
 * the bucket: a saved, changed or deleted document is what the next read sees, with no restart and
 * no cache to flush. Keys with more tokens (index entries) are not documents and are skipped; a
 * stored document that no longer parses is logged and the table keeps what it had.
 */
export class LiveTable<T> {
  private readonly byAccount = new Map<string, Map<string, T>>();
  private readonly indexed = new Map<string, T>();
  private revision = 0;
  private readonly waiters = new Set<{ revision: number; resolve: () => void }>();
  private stopWatch: () => void = () => undefined;

  private constructor(
    private readonly schema: z.ZodType<T>,
    private readonly options: LiveTableOptions<T>,
  ) {}

  /** Loads every document, then follows changes; resolves once the current documents are all in. */
  static async start<T>(kv: KV, schema: z.ZodType<T>, options: LiveTableOptions<T>): Promise<LiveTable<T>> {
    const table = new LiveTable(schema, options);
    let ready!: () => void;
    const loaded = new Promise<void>((resolve) => (ready = resolve));
    // Documents only: index entries and other keys of more tokens change often and are not ours.
    const watcher = await kv.watch({ key: '*.*', initializedFn: () => ready() });
    void (async () => {
      for await (const entry of watcher) table.apply(entry);
    })();
    table.stopWatch = () => watcher.stop();
    await loaded;
    return table;
  }

  stop(): void {
    this.stopWatch();
  }

  get(account: string, id: string): T | undefined {
    return this.byAccount.get(account)?.get(id);
  }

  /** The document whose `indexBy` key this is. */
  byIndex(key: string): T | undefined {
    return this.indexed.get(key);
  }

  /** The account's documents, in no particular order. */
  inAccount(account: string): Iterable<T> {
    return this.byAccount.get(account)?.values() ?? [];
  }

  get size(): number {
    let count = 0;
    for (const docs of this.byAccount.values()) count += docs.size;
    return count;
  }

  /**
   * Resolves once the table holds every change up to `revision` (true), or after the timeout
   * (false): a reader that knows what was written before can wait for it.
   */
  caughtUp(revision: number, timeoutMs: number): Promise<boolean> {
    if (this.revision >= revision) return Promise.resolve(true);
    return new Promise((resolve) => {
      const settle = (reached: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(reached);
      };
      const waiter = { revision, resolve: () => settle(true) };
      const timer = setTimeout(() => settle(false), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private apply(entry: KvEntry): void {
    this.revision = Math.max(this.revision, entry.revision);
    for (const waiter of this.waiters) if (this.revision >= waiter.revision) waiter.resolve();
    const [account = '', id, extra] = entry.key.split('.');
    if (id === undefined || extra !== undefined) return;
    const { kind, log, indexBy } = this.options;
    const ids = { account_key: account, [`${kind}_id`]: id };
    const docs = this.byAccount.get(account) ?? new Map<string, T>();
    const previous = docs.get(id);
    if (entry.operation !== 'PUT') {
      docs.delete(id);
      if (previous !== undefined && indexBy) this.indexed.delete(indexBy(previous));
      log.debug(ids, `${kind} removed`);
      return;
    }
    const parsed = this.schema.safeParse(jsonOrUndefined(entry.value));
    if (!parsed.success) {
      log.error({ key: entry.key, reason: parsed.error.message }, `stored ${kind} is not valid: ignored`);
      return;
    }
    if (previous !== undefined && indexBy) this.indexed.delete(indexBy(previous));
    docs.set(id, parsed.data);
    if (indexBy) this.indexed.set(indexBy(parsed.data), parsed.data);
    this.byAccount.set(account, docs);
    log.debug(ids, `${kind} loaded`);
  }
}
