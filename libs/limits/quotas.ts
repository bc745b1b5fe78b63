import { SwitchboardError } from '#libs/errors';
import type { Logger } from '#libs/logger';
import { QUOTAS, type AccountUsage, type Quota, type Usage } from './accountUsage.js';
import type { LimitsTable } from './limitsTable.js';

/** How often the operator's log tells of one account refused for its quotas. */
const WARN_EVERY_MS = 60_000;

/** How an account gets back under each quota: what the caller can do, or wait for. */
const WAY_BACK: Record<Quota, string> = {
  max_stored_events: 'until its oldest events expire (SWITCHBOARD_EVENTS_MAX_AGE_S)',
  max_queued_deliveries:
    'until its webhook deliveries are made or die (disable or delete a subscription whose receiver is down to drop what is queued for it)',
  max_dead_letters: 'until its dead letters are replayed (a replay removes one) or expire (SWITCHBOARD_DEADLETTER_MAX_AGE_S)',
  max_running_escalations: 'until some of its escalations end (or are cancelled)',
};

/** The answer to an account past a quota: 507, with the quota, its limit and the usage in `details`. */
export function quotaExceeded(account: string, quota: Quota, limit: number, used: number): SwitchboardError {
  return new SwitchboardError(
    'quota_exceeded',
    `account ${account} is at its ${quota} quota (${used} of ${limit}): new work is refused ${WAY_BACK[quota]}, or an operator raises the quota`,
    { quota, limit, used },
  );
}

/**
 * Per-account quotas, checked before an account's new work is taken (an event, an escalation, a
 * delivery replay): what is already taken still runs to its end (its deliveries are queued and
 * its failures dead-lettered, past the quota if need be), and the account's new work is refused
 * until it is back under. Usage is counted at most a few seconds ago (`AccountUsage`), so an
 * account may go past a quota by what it publishes in that time.
 */
export class Quotas {
  private readonly warned = new Map<string, number>();

  constructor(
    private readonly limits: LimitsTable,
    private readonly usage: AccountUsage,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws `quota_exceeded` when the account is at any of the quotas (every one unless told). */
  async admit(account: string, quotas: readonly Quota[] = QUOTAS): Promise<void> {
    const usage = await this.usage.of(account);
    const limits = this.limits.for(account);
    const reached = quotas.find((quota) => usage[quota] >= limits[quota]);
    if (reached === undefined) return;
    this.warn(account, reached, limits[reached], usage[reached]);
    throw quotaExceeded(account, reached, limits[reached], usage[reached]);
  }

  /** What the account holds against each quota. */
  used(account: string): Promise<Usage> {
    return this.usage.of(account);
  }

  /** Once a minute per account, not per refused call: a busy account past its quota would drown the log. */
  private warn(account: string, quota: Quota, limit: number, used: number): void {
    const now = this.now();
    const last = this.warned.get(account);
    if (last !== undefined && now - last < WARN_EVERY_MS) return;
    for (const [other, at] of this.warned) if (now - at >= WARN_EVERY_MS) this.warned.delete(other);
    this.warned.set(account, now);
    this.log.warn({ account_key: account, quota, limit, used }, 'account at its quota: its new events are refused (507 quota_exceeded)');
  }
}
