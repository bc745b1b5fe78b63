import type { Bus } from '#libs/bus';
import { publishEvent, stableId } from '#libs/events';
import type { Logger } from '#libs/logger';
import type { Subscription, SubscriptionRepository } from '#libs/store';

const SUBSCRIPTION_DISABLED = 'subscription_disabled';

export interface HealthOptions {
  repository: SubscriptionRepository;
  bus: Bus;
  /** How long a subscription may fail without a single success before it is disabled. */
  windowMs: number;
  log: Logger;
}

/**
 * Whether a subscription's receiver is working: the first failure marks it failing, a success
 * clears that, and one that has failed continuously for the window is disabled and announced with
 * a `subscription_disabled` event. Callers pass what the live table holds; writes happen only
 * when the state changes, under compare-and-set.
 */
export class SubscriptionHealth {
  constructor(private readonly options: HealthOptions) {}

  async succeeded(subscription: Subscription): Promise<void> {
    if (!subscription.failing_since) return;
    await this.options.repository.update(subscription.account_key, subscription.id, (current) =>
      current.failing_since ? { ...current, failing_since: undefined } : undefined,
    );
  }

  /** A POST that started at `failedAt` failed; `now` is when it ended. */
  async failed(subscription: Subscription, error: string, failedAt: string, now: number): Promise<void> {
    const { windowMs, repository, log } = this.options;
    if (subscription.failing_since && now - Date.parse(subscription.failing_since) < windowMs) return;
    const at = new Date(now).toISOString();
    let disabled = false;
    const saved = await repository.update(subscription.account_key, subscription.id, (current) => {
      disabled = false;
      if (!current.enabled) return undefined;
      if (!current.failing_since) return { ...current, failing_since: failedAt };
      if (now - Date.parse(current.failing_since) < windowMs) return undefined;
      disabled = true;
      return {
        ...current,
        enabled: false,
        disabled: { reason: 'failing', at, failing_since: current.failing_since, announced: false },
        updated_at: at,
      };
    });
    if (disabled && saved) {
      log.warn(
        {
          account_key: subscription.account_key,
          subscription_id: subscription.id,
          failing_since: saved.value.failing_since,
          last_error: error,
        },
        'subscription failing for too long: disabled',
      );
      await this.announce(saved.value, error);
    }
  }

  /**
   * Publishes `subscription_disabled` for a subscription Switchboard disabled, then notes that it
   * did. The event's id comes from the subscription and when it started failing, so publishing
   * again (after a crash between the two steps) is deduplicated.
   */
  async announce(subscription: Subscription, lastError?: string): Promise<void> {
    const { disabled } = subscription;
    if (!disabled || disabled.announced) return;
    await publishEvent(this.options.bus.js, {
      event_id: stableId(SUBSCRIPTION_DISABLED, subscription.account_key, subscription.id, disabled.failing_since),
      account_key: subscription.account_key,
      conversation_type: 'subscription',
      conversation_key: subscription.id,
      event_type: SUBSCRIPTION_DISABLED,
      event_data: {
        subscription_id: subscription.id,
        reason: disabled.reason,
        failing_since: disabled.failing_since,
        disabled_at: disabled.at,
        ...(lastError ? { last_error: lastError } : {}),
      },
    });
    await this.options.repository.update(subscription.account_key, subscription.id, (current) =>
      current.disabled && !current.disabled.announced ? { ...current, disabled: { ...current.disabled, announced: true } } : undefined,
    );
  }
}
