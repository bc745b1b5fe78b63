import { LruMap } from '#libs/store';
import type { StoredReceipt } from './storedReceipt.js';

/**
 * How many statuses are remembered: at the benchmark's peak of about 600 webhooks a second, well
 * over a minute of them (an escalation's timelines are read when it ends), in about 12 MB.
 */
const REMEMBERED = 50_000;

/**
 * Message statuses this process has filed lately, by the subject each was filed under. An
 * escalation's outcome event lists every message's timeline, statuses mostly filed moments
 * before: they are found here rather than by a direct get apiece. Only what this process filed is
 * here, so a status not found is looked up on its stream (another process may have filed it).
 */
export class RecentStatuses {
  private readonly bySubject = new LruMap<string, StoredReceipt>(REMEMBERED);

  remember(subject: string, receipt: StoredReceipt): void {
    this.bySubject.set(subject, receipt);
  }

  get(subject: string): StoredReceipt | undefined {
    return this.bySubject.get(subject);
  }
}
