import type { Escalation, Versioned } from '../store/index.js';

/**
 * The active escalations' documents as this process last wrote them, the newest `limit` of them.
 * A change can start from one instead of reading the document first: the compare-and-set catches
 * one that another writer has moved on since, and a change that finds nothing to do on one is
 * read again before it is believed.
 */
export class RecentVersions {
  private readonly versions = new Map<string, Versioned<Escalation>>();

  constructor(private readonly limit: number) {}

  get(key: string): Versioned<Escalation> | undefined {
    return this.versions.get(key);
  }

  remember(key: string, version: Versioned<Escalation> | undefined): void {
    if (!version) return;
    const known = this.versions.get(key);
    // Revisions grow across the whole bucket: an older write finishing late does not win.
    if (known && known.revision >= version.revision) return;
    this.versions.delete(key);
    // An ended escalation with nothing left to do is rarely touched again.
    if (version.value.status !== 'active' && version.value.outbox.length === 0) return;
    this.versions.set(key, version);
    if (this.versions.size > this.limit) this.versions.delete(this.versions.keys().next().value!);
  }
}
