import { startSwitchboard, type RunningSwitchboard } from '../../apps/server/switchboard.js';
import { handlerRegistry } from '#handlers';
import { loadSettings, type Settings } from '#libs/config';
import type { Dispatcher, Handler } from '#libs/dispatcher';
import { publishEvent, ROUTES_REVISION_HEADER } from '#libs/events';
import { createLogger } from '#libs/logger';
import { waitUntil } from '../harness/waitUntil.js';
import { BENCH_ACCOUNT, LATENCY_EVENT_TYPE, sampleEvent, THROUGHPUT_EVENT_TYPE } from '../harness/sampleEvents.js';

export interface BenchSwitchboard {
  running: RunningSwitchboard;
  dispatcher: Dispatcher;
  settings: Settings;
}

/**
 * Settings as an operator would run a dispatcher: product defaults, except LOG_LEVEL=warn so the
 * log route's debug lines are not written (log I/O would otherwise be what is measured).
 */
export function benchSettings(natsUrl: string, dataDir: string, concurrency?: number): Settings {
  return loadSettings({
    NATS_URL: natsUrl,
    PORT: '0',
    SWITCHBOARD_SIM_PORT: '0',
    SWITCHBOARD_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    // Bench receivers listen on loopback, which the SSRF guard refuses by default.
    SWITCHBOARD_ALLOW_PRIVATE_TARGETS: 'true',
    ...(concurrency !== undefined ? { SWITCHBOARD_CONCURRENCY: String(concurrency) } : {}),
  });
}

/** A real Switchboard with the dispatcher role only; its registry is the product's plus bench-only handlers. */
export async function startBenchSwitchboard(settings: Settings, extraHandlers: readonly Handler[]): Promise<BenchSwitchboard> {
  const log = createLogger({ level: settings.logLevel, name: 'switchboard-bench' });
  const running = await startSwitchboard({
    settings,
    roles: new Set(['dispatcher'] as const),
    log,
    // The registry startSwitchboard would build, plus the bench-only handlers.
    registry: new Map([
      ...handlerRegistry({ maxRepeat: settings.maxRepeat }),
      ...extraHandlers.map((handler) => [handler.type, handler] as const),
    ]),
  });
  if (!running.dispatcher) {
    await running.stop();
    throw new Error('the Switchboard started without a dispatcher');
  }
  return { running, dispatcher: running.dispatcher, settings };
}

/**
 * The benchmark's routes: a one-step `log` at debug for the throughput events and a one-step
 * `bench_probe` for the latency events. Saving a route that already exists just replaces it.
 */
export async function saveBenchRoutes(sb: BenchSwitchboard): Promise<void> {
  const { routes } = sb.running.stores;
  await routes.save({
    id: 'bench-log',
    account_key: BENCH_ACCOUNT,
    enabled: true,
    match: { conversation_type: 'poll', conversation_key: '*', event_type: THROUGHPUT_EVENT_TYPE },
    steps: [{ handler: 'log', config: { level: 'debug', message: 'poll {{event.conversation_key}} completed' } }],
  });
  await routes.save({
    id: 'bench-probe',
    account_key: BENCH_ACCOUNT,
    enabled: true,
    match: { conversation_type: 'poll', conversation_key: '*', event_type: LATENCY_EVENT_TYPE },
    steps: [{ handler: 'bench_probe', config: {} }],
  });
}

/**
 * Publishes one event per route carrying the routes revision (as the HTTP API does), so the
 * dispatcher's route table has both routes before any timed event, and waits until both are handled.
 */
export async function primeRoutes(sb: BenchSwitchboard, prefix: string): Promise<void> {
  const { bus, stores } = sb.running;
  const headers = { [ROUTES_REVISION_HEADER]: String(stores.routes.writtenRevision) };
  const before = sb.dispatcher.stats.handled;
  for (const [index, eventType] of [THROUGHPUT_EVENT_TYPE, LATENCY_EVENT_TYPE].entries()) {
    await publishEvent(bus.js, sampleEvent(`${prefix}-prime-${index}`, index, eventType), { headers });
  }
  await waitUntil('the priming events to be handled', () => sb.dispatcher.stats.handled >= before + 2, 10_000);
}

/** Guards a figure: a run where events went unrouted or failed measured something else. */
export function assertAllHandled(sb: BenchSwitchboard): void {
  const { unrouted, retrying, dead_lettered, malformed } = sb.dispatcher.stats;
  if (unrouted + retrying + dead_lettered + malformed > 0) {
    throw new Error(`events were not simply handled: ${JSON.stringify(sb.dispatcher.stats)}`);
  }
}
