import type { KvBucket } from '#libs/bus';
import { z } from 'zod';
import { Token } from '#libs/events';
import type { Logger } from '#libs/logger';
import { JsonKv } from './jsonKv.js';
import { LiveTable } from './liveTable.js';
import { accountFilter, accountKey } from './keys.js';

export const Wildcard = z.union([z.literal('*'), Token]);

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const WHERE_PATH = /^event_data(\.[^.\s]+)+$/;

export const RouteMatch = z.object({
  conversation_type: Wildcard.default('*'),
  conversation_key: Wildcard.default('*'),
  event_type: Wildcard.default('*'),
  /** `{ "event_data.status": "down" }`: each path must equal the value, or one of the values in a list. */
  where: z
    .record(z.string(), z.union([Scalar, z.array(Scalar).min(1)]))
    .superRefine((where, ctx) => {
      for (const path of Object.keys(where)) {
        if (!WHERE_PATH.test(path))
          ctx.addIssue({ code: 'custom', path: [path], message: 'must be a path into event_data, e.g. "event_data.status"' });
      }
    })
    .optional(),
});

export const RouteStep = z.object({
  handler: z.string().min(1),
  name: z.string().max(100).optional(),
  config: z.record(z.string(), z.unknown()).default({}),
});

/**
 * A route that may take part in a cycle of routes (an event it emits leads back to it), with a
 * bound: its steps emit no event deeper than `max_depth` in its chain (deeper: dead-lettered
 * `depth_exceeded`). Without it, a cycle is refused when the route is saved (libs/dispatcher/routeCycles.ts).
 */
const AllowCycle = z.strictObject({
  max_depth: z
    .number()
    .int()
    .min(1)
    .max(64)
    .describe('the deepest chain depth at which this route still emits; SWITCHBOARD_MAX_DEPTH applies too'),
});

export const Route = z.object({
  id: Token,
  account_key: Token,
  enabled: z.boolean().default(true),
  description: z.string().max(1000).optional(),
  match: RouteMatch,
  steps: z.array(RouteStep).min(1, 'a route needs at least one step').max(32),
  allow_cycle: AllowCycle.optional(),
  created_at: z.iso.datetime({ offset: true }),
  updated_at: z.iso.datetime({ offset: true }),
});

export type RouteMatch = z.infer<typeof RouteMatch>;
export type RouteStep = z.infer<typeof RouteStep>;
export type Route = z.infer<typeof Route>;

export class RouteRepository {
  private readonly docs: JsonKv<typeof Route>;
  private written = 0;

  constructor(bucket: KvBucket) {
    this.docs = new JsonKv(bucket, Route);
  }

  async get(account: string, id: string): Promise<Route | undefined> {
    return (await this.docs.get(accountKey(account, id)))?.value;
  }

  list(account: string): Promise<Route[]> {
    return this.docs.values(accountFilter(account));
  }

  /** Saves a route, keeping its creation time when it replaces an earlier version. */
  async save(route: Omit<Route, 'created_at' | 'updated_at'>): Promise<{ route: Route; created: boolean }> {
    const now = new Date().toISOString();
    let created = false;
    const saved = await this.docs.mutate(accountKey(route.account_key, route.id), (current) => {
      created = current === undefined;
      return { ...route, created_at: current?.created_at ?? now, updated_at: now };
    });
    this.written = Math.max(this.written, saved!.revision);
    return { route: saved!.value, created };
  }

  async delete(account: string, id: string): Promise<boolean> {
    const revision = await this.docs.delete(accountKey(account, id));
    if (revision === undefined) return false;
    this.written = Math.max(this.written, revision);
    return true;
  }

  /**
   * The newest revision this process has written. Events it publishes afterwards carry it, so a
   * dispatcher can wait until its route table has caught up: a saved route applies to the next event.
   */
  get writtenRevision(): number {
    return this.written;
  }

  /** Every route, kept current by watching the bucket: the dispatchers' route table. */
  live(log: Logger): Promise<LiveTable<Route>> {
    return LiveTable.start(this.docs.kv, Route, { kind: 'route', log });
  }
}
