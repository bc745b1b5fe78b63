import { z } from 'zod';
import { Audience } from '#libs/audience';
import type { KvBucket } from '#libs/bus';
import { Token } from '#libs/events';
import type { Logger } from '#libs/logger';
import { accountFilter, accountKey, ContactChannel, indexKey, JsonKv, LiveTable, VariableValue, type Versioned } from '#libs/store';

/** The longest debounce a hook may ask for. */
export const MAX_DEBOUNCE_S = 3600;

export const HookEvent = z.object({
  conversation_type: Token,
  conversation_key: Token,
  event_type: Token,
});

/** A launch hook: an unguessable URL that publishes one event, debounced, for routes to act on. */
export const Hook = z.object({
  id: Token,
  account_key: Token,
  name: z.string().max(200).optional(),
  enabled: z.boolean(),
  event: HookEvent,
  /** Who a launch targets when the call names no audience; null: nobody. */
  default_audience: Audience.nullable(),
  debounce_s: z.number().min(0).max(MAX_DEBOUNCE_S),
  allow_get: z.boolean(),
  allow_post: z.boolean(),
  /** IPs and CIDRs the hook may be called from; empty: anywhere. */
  allowed_hosts: z.array(z.string()),
  /** The key of the token's index entry: it holds a hash of the token, never the token. */
  token_index: z.string(),
  created_at: z.iso.datetime({ offset: true }),
  updated_at: z.iso.datetime({ offset: true }),
});

export type HookEvent = z.infer<typeof HookEvent>;
export type Hook = z.infer<typeof Hook>;

const Variables = z.record(z.string(), VariableValue);

/** A contact named by a call in targets mode: created at launch when it does not exist. */
export const LaunchTarget = z.object({
  id: Token,
  name: z.string().max(200).optional(),
  channels: z.array(ContactChannel),
  variables: Variables,
});

/** Who a call targets, in one of the three ways a payload can say it. */
export const Targeting = z.discriminatedUnion('mode', [
  /** A filter (null: the hook's default audience), and variables to set on every contact it selects. */
  z.object({ mode: z.literal('audience'), audience: Audience.nullable(), variables: Variables }),
  /** Contacts by id, each with its own variables. */
  z.object({ mode: z.literal('targets'), targets: z.array(LaunchTarget) }),
  /** One contact found (or created) by its address on a channel. */
  z.object({ mode: z.literal('conversation'), channel: ContactChannel, name: z.string().max(200).optional(), variables: Variables }),
]);

/** A call, validated: what its launch will do, and the payload's other fields, passed on as they are. */
export const LaunchRequest = z.object({
  method: z.enum(['GET', 'POST']),
  targeting: Targeting,
  fields: z.record(z.string(), z.unknown()),
});

export const PendingLaunch = z.object({
  generation: z.number().int().min(1),
  request: LaunchRequest,
  /** Calls merged into this launch since the last one. */
  calls: z.number().int().min(1),
  first_called_at: z.string(),
  last_called_at: z.string(),
  launch_at: z.string(),
  /** The routes revision the caller's process had written, for the published event. */
  routes_revision: z.number().int().min(0),
});

export const LastLaunch = z.object({
  generation: z.number().int().min(1),
  status: z.enum(['published', 'failed', 'dropped']),
  at: z.string(),
  calls: z.number().int().min(1),
  event_id: z.string().optional(),
  audience_count: z.number().int().min(0).optional(),
  error: z.string().optional(),
});

/**
 * A hook's debounce state. Every call bumps the generation and replaces the pending launch; a
 * timer is scheduled per generation, and only the timer of the current one launches.
 */
export const LaunchState = z.object({
  generation: z.number().int().min(0),
  pending: PendingLaunch.optional(),
  last_launch: LastLaunch.optional(),
});

export type LaunchTarget = z.infer<typeof LaunchTarget>;
export type Targeting = z.infer<typeof Targeting>;
export type LaunchRequest = z.infer<typeof LaunchRequest>;
export type PendingLaunch = z.infer<typeof PendingLaunch>;
export type LastLaunch = z.infer<typeof LastLaunch>;
export type LaunchState = z.infer<typeof LaunchState>;

const HookRef = z.object({ account_key: Token, id: Token });

/** Token index entries live under this pseudo-account: a call's URL carries no account. */
const TOKEN_INDEX_ACCOUNT = '_hooks';

/**
 * Hooks per account, an index from a hash of each hook's token to the hook, and each hook's
 * debounce state (`<account>._launch.<id>`), changed only by compare-and-set.
 */
export class HookRepository {
  private readonly docs: JsonKv<typeof Hook>;
  private readonly refs: JsonKv<typeof HookRef>;
  readonly launches: JsonKv<typeof LaunchState>;

  constructor(bucket: KvBucket) {
    this.docs = new JsonKv(bucket, Hook);
    this.refs = new JsonKv(bucket, HookRef);
    this.launches = new JsonKv(bucket, LaunchState);
  }

  /** The index key of a token: its hash, so the bucket never holds a usable token. */
  static tokenIndex(token: string): string {
    return indexKey(TOKEN_INDEX_ACCOUNT, 'token', token);
  }

  static launchKey(account: string, id: string): string {
    return `${account}._launch.${id}`;
  }

  async get(account: string, id: string): Promise<Hook | undefined> {
    return (await this.docs.get(accountKey(account, id)))?.value;
  }

  list(account: string): Promise<Hook[]> {
    return this.docs.values(accountFilter(account));
  }

  async byToken(token: string): Promise<Hook | undefined> {
    const ref = await this.refs.get(HookRepository.tokenIndex(token));
    return ref ? this.get(ref.value.account_key, ref.value.id) : undefined;
  }

  /** Stores a new hook and its token's index entry; the index comes first, so a stored hook can always be called. */
  async create(hook: Hook): Promise<Versioned<Hook>> {
    await this.refs.put(hook.token_index, { account_key: hook.account_key, id: hook.id });
    const revision = await this.docs.create(accountKey(hook.account_key, hook.id), hook);
    return { value: hook, revision };
  }

  /** Changes a hook under compare-and-set; undefined when it does not exist. */
  async update(account: string, id: string, change: (hook: Hook) => Hook): Promise<Versioned<Hook> | undefined> {
    return this.docs.mutate(accountKey(account, id), (current) => (current ? change(current) : undefined));
  }

  /** Points the hook at a new token's index entry; the old token stops working. */
  async replaceToken(account: string, id: string, tokenIndex: string): Promise<Versioned<Hook> | undefined> {
    let previous: string | undefined;
    await this.refs.put(tokenIndex, { account_key: account, id });
    const saved = await this.update(account, id, (current) => {
      previous = current.token_index;
      return { ...current, token_index: tokenIndex, updated_at: new Date().toISOString() };
    });
    if (!saved) await this.refs.delete(tokenIndex);
    else if (previous && previous !== tokenIndex) await this.refs.delete(previous);
    return saved;
  }

  /**
   * Deletes the hook, its token's index entry and its pending launch (its timers then find
   * nothing to do); returns the revision of the deletion, or undefined when there was no hook.
   */
  async delete(account: string, id: string): Promise<number | undefined> {
    const hook = await this.get(account, id);
    if (!hook) return undefined;
    const revision = await this.docs.delete(accountKey(account, id));
    await this.refs.delete(hook.token_index);
    await this.launches.delete(HookRepository.launchKey(account, id));
    return revision;
  }

  /**
   * Every hook in memory, findable by its token's index key, kept current by watching the
   * documents: a call finds its hook without a read from NATS.
   */
  live(log: Logger): Promise<LiveTable<Hook>> {
    return LiveTable.start(this.docs.kv, Hook, { kind: 'hook', log, indexBy: (hook) => hook.token_index });
  }

  async launchState(account: string, id: string): Promise<LaunchState | undefined> {
    return (await this.launches.get(HookRepository.launchKey(account, id)))?.value;
  }

  /** Every hook's pending launch, in every account. */
  async pendingLaunches(): Promise<Array<{ account_key: string; id: string; pending: PendingLaunch }>> {
    const entries = await this.launches.entries(HookRepository.launchKey('*', '*'));
    return entries.flatMap(({ key, value }) => {
      // A launch key is <account>._launch.<id>, and neither token holds a dot.
      const [account_key, , id] = key.split('.');
      return value.pending && account_key && id ? [{ account_key, id, pending: value.pending }] : [];
    });
  }
}
