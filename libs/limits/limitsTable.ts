import type { KvBucket } from '#libs/bus';
import type { Logger } from '#libs/logger';
import { LiveTable } from '#libs/store';
import { AccountLimitsOverride, type AccountLimits } from './accountLimits.js';

/** One document per account: `<account>.limits`. */
const DOCUMENT = 'limits';

/**
 * The effective limits of each account: the server's defaults, with what an operator set for the
 * account over them, kept in memory and current by watching the `limits` bucket.
 */
export class LimitsTable {
  private constructor(
    private readonly bucket: KvBucket,
    /** The limits of an account an operator has set nothing for. */
    readonly defaults: AccountLimits,
    private readonly table: LiveTable<AccountLimitsOverride>,
  ) {}

  static async start(bucket: KvBucket, defaults: AccountLimits, log: Logger): Promise<LimitsTable> {
    return new LimitsTable(bucket, defaults, await LiveTable.start(bucket.kv, AccountLimitsOverride, { kind: 'limits', log }));
  }

  /** The limits that apply to the account now. */
  for(account: string): AccountLimits {
    return { ...this.defaults, ...this.table.get(account, DOCUMENT) };
  }

  /** What an operator set for the account (the rest comes from the defaults). */
  overrides(account: string): AccountLimitsOverride {
    return this.table.get(account, DOCUMENT) ?? {};
  }

  /** Sets the account's own limits (replacing what was set before); applies here at once, elsewhere within moments. */
  async set(account: string, overrides: AccountLimitsOverride): Promise<AccountLimits> {
    const revision = await this.bucket.kv.put(`${account}.${DOCUMENT}`, JSON.stringify(overrides));
    await this.table.caughtUp(revision, 2000);
    return this.for(account);
  }

  stop(): void {
    this.table.stop();
  }
}
