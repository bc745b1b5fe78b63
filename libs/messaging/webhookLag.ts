/** Lags seen over the last 5 to 10 s make the current figure: it follows the load as it changes. */
const WINDOW_MS = 5_000;
/** A webhook the provider retried for minutes says little about the others: it counts for this much at most. */
const MAX_LAG_MS = 60_000;

/**
 * How late the provider's webhooks reach PROVIDER: from the provider's own timestamp to the
 * moment the webhook was stored, the worst seen over the last 5 to 10 s. Under load webhooks
 * queue (at the provider, which also holds a message's later statuses until its earlier ones
 * are taken, in sockets, behind a busy event loop), so a receipt sent before an expiry's deadline
 * may be stored well after it. Fed by the worker that takes webhooks off PROVIDER; the escalation
 * engine waits this long past a deadline before it decides that nothing came in time. A provider
 * clock behind ours counts as lag; one ahead of ours does not.
 */
export class WebhookLag {
  private windowStart = 0;
  private windowMax = 0;
  private previousMax = 0;
  /** Until when the webhooks the provider could not deliver before this process started may still come (see `expectBacklog`). */
  private backlogUntil = 0;

  /**
   * A process starting after an outage: the provider retries what it could not deliver meanwhile
   * (Vonage: after 5 s, then doubling), so a webhook of the outage comes in no later than one
   * retry after a wait as long as the outage (since the last webhook stored), at most a minute.
   * Until then, nothing the provider said before may be taken as never said.
   */
  expectBacklog(lastStoredMs: number, firstRetryMs: number, now = Date.now()): void {
    this.backlogUntil = now + Math.min(Math.max(0, now - lastStoredMs) + firstRetryMs, MAX_LAG_MS);
  }

  /** Until when the provider's backlog of webhooks may still be coming in, or undefined once it has had its time. */
  backlogClears(now = Date.now()): number | undefined {
    return now < this.backlogUntil ? this.backlogUntil : undefined;
  }

  observe(providerTimestamp: string, storedAtMs: number, now = Date.now()): void {
    const lag = storedAtMs - Date.parse(providerTimestamp);
    if (!Number.isFinite(lag) || lag <= 0) return;
    this.roll(now);
    this.windowMax = Math.max(this.windowMax, Math.min(lag, MAX_LAG_MS));
  }

  /** Milliseconds: how long after a provider's event its webhook may still be stored, as things stand. */
  current(now = Date.now()): number {
    this.roll(now);
    return Math.max(this.windowMax, this.previousMax);
  }

  /** Undefined once the webhooks the provider sent before `deadline` have had their time; until then, when they will have. */
  pendingUntil(deadline: number, now = Date.now()): number | undefined {
    const until = Math.max(deadline + this.current(now), this.backlogClears(now) ?? 0);
    return now < until ? until : undefined;
  }

  private roll(now: number): void {
    const elapsed = now - this.windowStart;
    if (elapsed < WINDOW_MS) return;
    this.previousMax = elapsed < 2 * WINDOW_MS ? this.windowMax : 0;
    this.windowMax = 0;
    this.windowStart = now;
  }
}
