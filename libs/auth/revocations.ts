import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { KvBucket } from '#libs/bus';
import type { Logger } from '#libs/logger';
import { LiveTable } from '#libs/store';

export const Revocation = z.object({
  jti: z.string().min(1).max(256),
  revoked_at: z.string(),
  /** Who revoked it: the `sub` of the operator's token. */
  revoked_by: z.string(),
  reason: z.string().max(500).optional(),
});
export type Revocation = z.infer<typeof Revocation>;

/** All revocations share one key prefix, which stands where the live table expects an account. */
const SCOPE = 'revoked';
/** How long a revoke waits for this process's table to have it, so the very next request is refused. */
const CATCH_UP_MS = 2000;

/** A jti is the token issuer's free text: its hash is a safe KV key of fixed length. */
function keyOf(jti: string): string {
  return createHash('sha256').update(jti).digest('base64url');
}

/**
 * The ids (`jti`) of revoked API tokens, in the `revocations` bucket and in memory in every
 * process that verifies tokens, kept current by watching the bucket: a revocation made through
 * any process refuses the token everywhere within moments, and here at once.
 */
export class RevokedTokens {
  private constructor(
    private readonly bucket: KvBucket,
    private readonly table: LiveTable<Revocation>,
  ) {}

  static async start(bucket: KvBucket, log: Logger): Promise<RevokedTokens> {
    return new RevokedTokens(bucket, await LiveTable.start(bucket.kv, Revocation, { kind: 'revocation', log }));
  }

  has(jti: string): boolean {
    return this.table.get(SCOPE, keyOf(jti)) !== undefined;
  }

  list(): Revocation[] {
    return [...this.table.inAccount(SCOPE)].sort((a, b) => a.revoked_at.localeCompare(b.revoked_at));
  }

  async revoke(revocation: Revocation): Promise<void> {
    const revision = await this.bucket.kv.put(`${SCOPE}.${keyOf(revocation.jti)}`, JSON.stringify(revocation));
    await this.table.caughtUp(revision, CATCH_UP_MS);
  }

  stop(): void {
    this.table.stop();
  }
}
