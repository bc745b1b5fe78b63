import { z } from 'zod';
import { streamSubjects, type Bus } from '#libs/bus';
import { SwitchboardError } from '#libs/errors';
import { stableId, Token, VumiApiEvent } from '#libs/events';
import type { Delivery, DeliveryRepository, Subscription } from '#libs/store';

/** A message on DELIVERIES: send this event to this subscription. */
export const DeliveryJob = z.object({
  delivery_id: Token,
  account_key: Token,
  subscription_id: Token,
  event: VumiApiEvent,
  /** Set on a replay: which one (the record's `replays` after it). */
  replay: z.number().int().min(1).optional(),
});

export type DeliveryJob = z.infer<typeof DeliveryJob>;

/** The same event for the same subscription is always the same delivery, with the same `webhook-id`. */
function deliveryId(eventId: string, subscriptionId: string): string {
  return stableId(eventId, subscriptionId);
}

/**
 * Deliveries as the rest of the system sees them: queued on the DELIVERIES stream (never held in
 * memory), recorded per attempt by the workers, listed, and replayed once dead.
 */
export class Deliveries {
  constructor(
    private readonly bus: Bus,
    private readonly records: DeliveryRepository,
  ) {}

  /** Queues the event for the subscription; JetStream stores it once per `<event_id>:<subscription_id>`. */
  async enqueue(subscription: Subscription, event: VumiApiEvent): Promise<void> {
    const job: DeliveryJob = {
      delivery_id: deliveryId(event.event_id, subscription.id),
      account_key: subscription.account_key,
      subscription_id: subscription.id,
      event,
    };
    await this.bus.js.publish(streamSubjects.delivery(job.account_key, job.subscription_id), JSON.stringify(job), {
      msgID: `${event.event_id}:${subscription.id}`,
    });
  }

  /** The subscription's deliveries, the most recently attempted first. */
  async list(account: string, subscriptionId: string, limit: number): Promise<Delivery[]> {
    const all = await this.records.list(account, subscriptionId);
    return all.sort((a, b) => b.updated_at.localeCompare(a.updated_at) || a.id.localeCompare(b.id)).slice(0, limit);
  }

  get(account: string, subscriptionId: string, id: string): Promise<Delivery | undefined> {
    return this.records.get(account, subscriptionId, id);
  }

  /**
   * Sends a dead delivery again, with a fresh retry window and the same `webhook-id`. The job is
   * queued first under an id of this replay (two replays at once queue one), then the record
   * says so, unless a worker has already taken the job and written its attempt.
   */
  async replay(subscription: Subscription, id: string): Promise<Delivery> {
    const account = subscription.account_key;
    const current = await this.records.get(account, subscription.id, id);
    if (!current) throw new SwitchboardError('not_found', `no delivery ${id} of subscription ${subscription.id}`);
    if (current.status !== 'dead')
      throw new SwitchboardError('conflict', `delivery ${id} is ${current.status}: only a dead delivery can be replayed`);
    if (!subscription.enabled)
      throw new SwitchboardError('conflict', `subscription ${subscription.id} is disabled: enable it before replaying its deliveries`);
    const replay = current.replays + 1;
    const job: DeliveryJob = { delivery_id: id, account_key: account, subscription_id: subscription.id, event: current.event, replay };
    await this.bus.js.publish(streamSubjects.delivery(account, subscription.id), JSON.stringify(job), { msgID: `${id}:replay:${replay}` });
    const now = new Date().toISOString();
    const saved = await this.records.update(account, subscription.id, id, (record) =>
      record && record.status === 'dead' && record.replays < replay
        ? {
            ...record,
            status: 'retrying',
            dead_reason: undefined,
            replays: replay,
            window_started_at: undefined,
            next_attempt_at: now,
            updated_at: now,
          }
        : undefined,
    );
    return saved?.value ?? current;
  }
}
