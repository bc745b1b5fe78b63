import type { Bus } from '#libs/bus';
import type { PoisonPolicy } from '#libs/deadletters';
import type { Logger } from '#libs/logger';
import type { DeliveryRepository, LiveTable, Subscription, SubscriptionRepository } from '#libs/store';
import { DeliveryWorker } from './deliveryWorker.js';
import type { RetrySchedule } from './retrySchedule.js';
import { SubscriptionHealth } from './subscriptionHealth.js';
import type { DeliveryTargets } from './targetUrl.js';

export interface DeliveryWorkersOptions {
  bus: Bus;
  subscriptions: SubscriptionRepository;
  /** The live subscription table of this process. */
  table: LiveTable<Subscription>;
  records: DeliveryRepository;
  targets: DeliveryTargets;
  schedule: RetrySchedule;
  /** POSTs in flight at once. */
  deliveryConcurrency: number;
  timeoutMs: number;
  ackWaitMs: number;
  log: Logger;
  poison: PoisonPolicy;
}

export interface DeliveryWorkers {
  stop(): Promise<void>;
}

/**
 * The `deliveries` role: the workers that POST the deliveries the dispatcher queued. Any number
 * of processes may run it: their consumer is durable and shared.
 */
export async function startDeliveryWorkers(options: DeliveryWorkersOptions): Promise<DeliveryWorkers> {
  const { bus, log, ackWaitMs } = options;
  const health = new SubscriptionHealth({
    repository: options.subscriptions,
    bus,
    windowMs: options.schedule.windowMs,
    log: log.child({ component: 'subscriptions' }),
  });
  const worker = new DeliveryWorker({
    bus,
    subscriptions: options.table,
    records: options.records,
    health,
    targets: options.targets,
    schedule: options.schedule,
    timeoutMs: options.timeoutMs,
    concurrency: options.deliveryConcurrency,
    ackWaitMs,
    log: log.child({ component: 'deliveries' }),
    poison: options.poison,
  });
  await worker.start();
  return { stop: () => worker.stop() };
}
