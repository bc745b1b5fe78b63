import { BUCKETS, STREAMS, streamSubjects, type Bus } from '#libs/bus';
import type { AccountLimits } from './accountLimits.js';

/** What a quota counts: the account's messages on one stream, under one subject filter. */
interface Measure {
  stream: string;
  subjects: (account: string) => string;
}

/**
 * Where each quota's usage is, as JetStream counts it per subject. Nothing is counted on the side:
 * what the streams hold is what expiry, acknowledgements and replays left, across every process.
 */
export const QUOTA_MEASURES = {
  max_stored_events: { stream: STREAMS.events, subjects: (account) => `events.${account}.>` },
  max_queued_deliveries: { stream: STREAMS.deliveries, subjects: streamSubjects.deliveriesOf },
  max_dead_letters: { stream: STREAMS.deadletter, subjects: streamSubjects.deadLettersOf },
  // The escalations' running list (libs/store/escalations.ts): a key each, removed with no marker once it stops running.
  max_running_escalations: {
    stream: `KV_${BUCKETS.escalations}`,
    subjects: (account) => `$KV.${BUCKETS.escalations}._running.${account}.>`,
  },
} as const satisfies Partial<Record<keyof AccountLimits, Measure>>;

export type Quota = keyof typeof QUOTA_MEASURES;
export const QUOTAS = Object.keys(QUOTA_MEASURES) as Quota[];

export function isQuota(name: string): name is Quota {
  return Object.hasOwn(QUOTA_MEASURES, name);
}

/** What an account holds, per quota. */
export type Usage = Record<Quota, number>;

/** Past this many accounts counted, counts too old to use are let go. */
const SWEEP_AT = 10_000;

/**
 * Each account's usage, counted with JetStream's per-subject counts (`subjects_filter`): a request
 * per quota that walks the stream's subjects, too dear for every API call. So a count is used for
 * `maxAgeMs`, shared by every call meanwhile, and only accounts that publish are counted.
 */
export class AccountUsage {
  private readonly counts = new Map<string, { at: number; usage: Promise<Usage> }>();

  constructor(
    private readonly bus: Bus,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The account's usage, counted at most `maxAgeMs` ago. */
  of(account: string): Promise<Usage> {
    const now = this.now();
    const known = this.counts.get(account);
    if (known && now - known.at < this.maxAgeMs) return known.usage;
    if (this.counts.size >= SWEEP_AT) this.sweep(now);
    const usage = this.count(account);
    this.counts.set(account, { at: now, usage });
    // A count that failed (NATS down) is not kept: the next call counts again.
    usage.catch(() => {
      if (this.counts.get(account)?.usage === usage) this.counts.delete(account);
    });
    return usage;
  }

  private async count(account: string): Promise<Usage> {
    const counted = await Promise.all(QUOTAS.map(async (quota) => [quota, await this.messages(QUOTA_MEASURES[quota], account)] as const));
    return Object.fromEntries(counted) as Usage;
  }

  private async messages(measure: Measure, account: string): Promise<number> {
    const info = await this.bus.jsm.streams.info(measure.stream, { subjects_filter: measure.subjects(account) });
    return Object.values(info.state.subjects ?? {}).reduce((sum, count) => sum + count, 0);
  }

  private sweep(now: number): void {
    for (const [account, { at }] of this.counts) if (now - at >= this.maxAgeMs) this.counts.delete(account);
  }
}
