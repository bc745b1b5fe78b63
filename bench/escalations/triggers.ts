import { setTimeout as sleep } from 'node:timers/promises';
import type { Bus } from '#libs/bus';
import { publishEvent, ROUTES_REVISION_HEADER } from '#libs/events';
import type { EscalationCase } from './cases.js';
import { BENCH_ACCOUNT, CONVERSATION } from './routes.js';

/** Publish acks outstanding at once: a source pipelines, it does not wait a round trip per event. */
const WINDOW = 256;

export interface TriggerRun {
  /** Epoch ms of the first and the last publish. */
  firstAt: number;
  lastAt: number;
  /** How late the latest trigger went out against its schedule (0 when all were sent at once). */
  maxLagMs: number;
}

function triggerOf(one: EscalationCase) {
  return {
    event_id: one.eventId,
    account_key: BENCH_ACCOUNT,
    ...CONVERSATION,
    event_type: one.route.eventType,
    event_data: { message: `bench outage ${one.index}: payments-api down in eu-west-1`, to: one.addresses },
    timestamp: new Date().toISOString(),
  };
}

/**
 * Publishes every case's trigger straight onto the bus, as an in-process source would, carrying
 * the routes revision (as the HTTP API does) so the dispatcher applies the benchmark's routes.
 * With a rate, triggers go out on a fixed schedule, open loop; with rate 0, all at once.
 */
export async function publishTriggers(
  bus: Bus,
  cases: readonly EscalationCase[],
  options: { rate: number; routesRevision: number; counter: { published: number } },
): Promise<TriggerRun> {
  const headers = { [ROUTES_REVISION_HEADER]: String(options.routesRevision) };
  const intervalMs = options.rate > 0 ? 1000 / options.rate : 0;
  const inFlight = new Set<Promise<unknown>>();
  const failures: unknown[] = [];
  const start = performance.now();
  const firstAt = Date.now();
  let maxLagMs = 0;
  for (const [position, one] of cases.entries()) {
    const due = start + position * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    if (intervalMs > 0) maxLagMs = Math.max(maxLagMs, performance.now() - due);
    if (inFlight.size >= WINDOW) await Promise.race(inFlight);
    const ack: Promise<unknown> = publishEvent(bus.js, triggerOf(one), { headers })
      .then(() => options.counter.published++)
      .catch((err: unknown) => failures.push(err))
      .finally(() => inFlight.delete(ack));
    inFlight.add(ack);
  }
  await Promise.all(inFlight);
  if (failures.length > 0) throw new Error(`${failures.length} trigger(s) were not published, the first: ${String(failures[0])}`);
  return { firstAt, lastAt: Date.now(), maxLagMs };
}
