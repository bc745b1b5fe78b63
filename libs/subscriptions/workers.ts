import type { Bus } from '../bus/index.js';
import type { Logger } from '../logger/index.js';
import type { DeliveryRepository, SubscriptionRepository } from '../store/index.js';
import type { Deliveries } from './deliveries.js';
import { DeliveryWorker } from './deliveryWorker.js';
import { SubscriptionMatcher } from './matcher.js';
import type { RetrySchedule } from './retrySchedule.js';
import { SubscriptionHealth } from './subscriptionHealth.js';
import type { DeliveryTargets } from './targetUrl.js';

export interface DeliveryWorkersOptions {
  bus: Bus;
  subscriptions: SubscriptionRepository;
  records: DeliveryRepository;
  deliveries: Deliveries;
  targets: DeliveryTargets;
  schedule: RetrySchedule;
  /** Events matched at once. */
  matchConcurrency: number;
  /** POSTs in flight at once. */
  deliveryConcurrency: number;
  timeoutMs: number;
  ackWaitMs: number;
  log: Logger;
}

export interface DeliveryWorkers {
  stop(): Promise<void>;
}

/**
 * The `deliveries` role: the live subscription table, the matcher that turns events into queued
 * deliveries, and the workers that POST them. Any number of processes may run it: both consumers
 * are durable and shared.
 */
export async function startDeliveryWorkers(options: DeliveryWorkersOptions): Promise<DeliveryWorkers> {
  const { bus, log, ackWaitMs } = options;
  const table = await options.subscriptions.live(log.child({ component: 'subscriptions' }));
  const matcher = new SubscriptionMatcher({
    bus,
    subscriptions: table,
    deliveries: options.deliveries,
    concurrency: options.matchConcurrency,
    ackWaitMs,
    log: log.child({ component: 'subscription-matcher' }),
  });
  const health = new SubscriptionHealth({ repository: options.subscriptions, bus, windowMs: options.schedule.windowMs, log: log.child({ component: 'subscriptions' }) });
  const worker = new DeliveryWorker({
    bus,
    subscriptions: table,
    records: options.records,
    health,
    targets: options.targets,
    schedule: options.schedule,
    timeoutMs: options.timeoutMs,
    concurrency: options.deliveryConcurrency,
    ackWaitMs,
    log: log.child({ component: 'deliveries' }),
  });
  try {
    await matcher.start();
    await worker.start();
  } catch (err) {
    await matcher.stop();
    table.stop();
    throw err;
  }
  return {
    async stop() {
      await matcher.stop();
      await worker.stop();
      table.stop();
    },
  };
}
