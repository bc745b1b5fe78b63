/** Lags seen over the last 5 to 10 s make the current estimate: it follows the load as it changes. */
const WINDOW_MS = 5_000;
/** A webhook the provider retried for minutes says little about the others: it counts for this much at most. */
const MAX_LAG_MS = 60_000;
/** The provider posts webhooks side by side, so they may be stored a little out of their order. */
const REORDER_MS = 250;
/** Without any webhook for this long plus twice the current lag, none is on its way. */
const QUIET_MS = 100;
/** An expiry waits for late webhooks this long past its deadline at most. */
const MAX_WAIT_MS = 60_000;
/** How soon to look again, at least. */
const MIN_RECHECK_MS = 100;

/**
 * How far the provider's webhooks have been stored, in the provider's own time (an event-time
 * watermark): under load webhooks queue at the provider, in sockets and behind a busy event loop,
 * so a receipt sent before an expiry's deadline may be stored well after it. Fed by the worker
 * that takes webhooks off PROVIDER; the escalation engine asks it before it decides that nothing
 * came in time.
 *
 * Every webhook the provider sent before a moment is taken as stored once one it sent after that
 * moment (plus a little, for reordering) is stored, or once webhooks have stopped coming (nothing
 * for twice the current lag: none is on its way), or after a minute at most. A provider clock
 * behind ours makes expiries wait up to that difference; one ahead of ours takes them back to
 * the stored webhooks alone.
 */
export class WebhookWatermark {
  private latest = 0;
  private lastSeenAt = 0;
  private windowStart = 0;
  private windowMaxLag = 0;
  private previousMaxLag = 0;

  observe(providerTimestamp: string, storedAtMs: number, now = Date.now()): void {
    const at = Date.parse(providerTimestamp);
    if (!Number.isFinite(at)) return;
    this.latest = Math.max(this.latest, at);
    this.lastSeenAt = now;
    this.roll(now);
    this.windowMaxLag = Math.max(this.windowMaxLag, Math.min(Math.max(storedAtMs - at, 0), MAX_LAG_MS));
  }

  /** The worst time from the provider's event to its webhook being stored, lately. */
  lag(now = Date.now()): number {
    this.roll(now);
    return Math.max(this.windowMaxLag, this.previousMaxLag);
  }

  /**
   * Undefined once the webhooks the provider sent before `deadline` can be taken as stored;
   * until then, when to look again.
   */
  pendingUntil(deadline: number, now = Date.now()): number | undefined {
    const giveUpAt = deadline + MAX_WAIT_MS;
    const passedAt = deadline + REORDER_MS;
    const quietAt = this.lastSeenAt + QUIET_MS + 2 * this.lag(now);
    if (this.latest >= passedAt || now >= quietAt || now >= giveUpAt) return undefined;
    // The watermark moves about as fast as the clock: it should pass in about the time it is behind.
    return Math.min(now + Math.max(passedAt - this.latest, MIN_RECHECK_MS), quietAt, giveUpAt);
  }

  private roll(now: number): void {
    const elapsed = now - this.windowStart;
    if (elapsed < WINDOW_MS) return;
    this.previousMaxLag = elapsed < 2 * WINDOW_MS ? this.windowMaxLag : 0;
    this.windowMaxLag = 0;
    this.windowStart = now;
  }
}
