import type { JsMsg } from 'nats';
import { CONSUMERS, nakAfter, startDurableWorker, STREAMS, type Bus, type DurableWorker } from '#libs/bus';
import { errorMessage, isSwitchboardError } from '#libs/errors';
import { accountOfSubject, type DeadLetter, type DeadLetters } from '#libs/deadletters';
import { ONLY_ROUTE_HEADER, readBusEvent, ROUTES_REVISION_HEADER, type EmittedEvent, type VumiApiEvent } from '#libs/events';
import type { JsonShapeLimits } from '#libs/jsonShape';
import type { Logger } from '#libs/logger';
import type { Route } from '#libs/store';
import type { CausedEvents } from './causedEvents.js';
import type { HandlerRegistry, HandlerServices } from './handler.js';
import { retryDelay, type RetryPolicy } from './retryPolicy.js';
import type { RouteTable } from './routeTable.js';
import { runRoute, type RouteOutcome } from './stepRunner.js';
import type { UnroutedEvents } from './unrouted.js';

/** Who else takes every event the dispatcher takes: the subscriptions' deliveries. */
export interface EventSubscribers {
  /** Resolves once what the event is queued for is stored; the event is acknowledged after. */
  queue(event: VumiApiEvent): Promise<unknown>;
}

export interface DispatcherOptions {
  bus: Bus;
  routes: RouteTable;
  registry: HandlerRegistry;
  services: HandlerServices;
  deadLetters: DeadLetters;
  unrouted: UnroutedEvents;
  /** Given every event as it is taken, so EVENTS is read once for routes and subscriptions. */
  subscribers?: EventSubscribers;
  log: Logger;
  retry: RetryPolicy;
  /** Publishes what steps emit, within the depth cap and the fan-out budget. */
  events: CausedEvents;
  /** Events handled at once by this worker. */
  concurrency: number;
  /** How long an event may be held before another worker gets it (a crashed worker's events come back after it). */
  ackWaitMs: number;
  /** The shape an envelope may have: a deeper or wider one is dead-lettered as malformed, before anything walks it. */
  jsonShape: JsonShapeLimits;
}

export type DispatchResult = 'handled' | 'unrouted' | 'retrying' | 'dead_lettered' | 'malformed';

export interface DispatcherStats {
  handled: number;
  unrouted: number;
  retrying: number;
  dead_lettered: number;
  malformed: number;
}

/** How long an event waits for the route table to catch up with routes saved before it was published. */
const ROUTES_CATCH_UP_MS = 2000;

/**
 * Takes events off the EVENTS stream, runs every matching route and hands each event to its
 * subscribers (queued webhook deliveries) before acknowledging it. A step that throws is retried
 * by redelivery with growing delays; after the last attempt the event goes to DEADLETTER. So does
 * an event whose handling throws outside its steps on every attempt (recording it as unrouted,
 * queueing its deliveries), unless the bus is what fails. Nothing is dropped: unrouted events are
 * recorded, malformed ones dead-lettered.
 */
export class Dispatcher {
  readonly stats: DispatcherStats = { handled: 0, unrouted: 0, retrying: 0, dead_lettered: 0, malformed: 0 };
  private worker: DurableWorker | undefined;

  constructor(private readonly options: DispatcherOptions) {}

  async start(): Promise<void> {
    const { bus, concurrency, ackWaitMs, log } = this.options;
    this.worker = await startDurableWorker(
      bus,
      { stream: STREAMS.events, name: CONSUMERS.dispatcher, filter: 'events.>', ackWaitMs, maxAckPending: 20_000 },
      {
        concurrency,
        handle: async (msg) => void this.stats[await this.dispatch(msg)]++,
        // Our own failure (the bus, a dead-letter write, recording or queueing the event): the event stays and comes back.
        onRetry: (err, msg, retry) =>
          log.error(
            { err, subject: msg.subject, attempt: retry.attempt, transient: retry.transient, retry_in_ms: retry.inMs },
            'dispatch failed: redelivering',
          ),
        failures: {
          maxAttempts: this.options.retry.maxAttempts,
          delaysMs: this.options.retry.delaysMs,
          // The server's count, as for the steps: an attempt is a delivery.
          count: 'deliveries',
          deadLetter: (msg, err, attempts) => this.deadLetterPoison(msg, err, attempts),
        },
      },
    );
  }

  /** An event whose handling threw outside its steps on every attempt: filed with the event, so a replay runs it again. */
  private async deadLetterPoison(msg: JsMsg, err: unknown, attempts: number): Promise<void> {
    const parsed = readBusEvent(msg.subject, msg.data);
    const event = parsed.ok ? parsed.event : undefined;
    const routeId = msg.headers?.get(ONLY_ROUTE_HEADER) || undefined;
    await this.options.deadLetters.addPoison({
      consumer: CONSUMERS.dispatcher,
      account: event?.account_key ?? accountOfSubject(msg.subject),
      msg,
      error: err,
      attempts,
      event,
      routeId,
    });
    this.stats.dead_lettered++;
    this.options.log.error(
      { err, event_id: event?.event_id, route_id: routeId, subject: msg.subject, attempts },
      'event failed on every attempt outside its steps: dead-lettered',
    );
  }

  /** Stops taking events and waits for those in hand. */
  async stop(): Promise<void> {
    await this.worker?.stop();
  }

  /** Handles one message and settles it (ack or nak); exported behaviour is the result. */
  async dispatch(msg: JsMsg): Promise<DispatchResult> {
    const { log, deadLetters } = this.options;
    const parsed = readBusEvent(msg.subject, msg.data, this.options.jsonShape);
    if (!parsed.ok) {
      await deadLetters.add(
        {
          reason: 'malformed',
          account_key: accountOfSubject(msg.subject),
          raw: parsed.raw.slice(0, 4096),
          subject: msg.subject,
          error: { code: 'validation_failed', message: parsed.message },
          attempts: msg.info.deliveryCount,
          failed_at: new Date().toISOString(),
        },
        `malformed-${msg.seq}`,
      );
      log.warn({ subject: msg.subject, seq: msg.seq, reason: parsed.message }, 'malformed message dead-lettered');
      msg.ack();
      return 'malformed';
    }

    const { event } = parsed;
    const onlyRoute = msg.headers?.get(ONLY_ROUTE_HEADER) || undefined;
    // A replayed dead letter re-runs one route: the event's subscribers have had it already.
    const [routed] = await Promise.all([this.route(msg, event, onlyRoute), onlyRoute ? undefined : this.options.subscribers?.queue(event)]);
    if (routed.retryInMs === undefined) msg.ack();
    else nakAfter(msg, routed.retryInMs);
    return routed.result;
  }

  /** Runs the event's routes; answers the result, and when to offer the event again if it is to be retried. */
  private async route(
    msg: JsMsg,
    event: VumiApiEvent,
    onlyRoute: string | undefined,
  ): Promise<{ result: DispatchResult; retryInMs?: number }> {
    const { log, deadLetters, unrouted, retry } = this.options;
    const attempt = msg.info.deliveryCount;
    const routesRevision = Number(msg.headers?.get(ROUTES_REVISION_HEADER) || 0);
    if (routesRevision > 0 && !(await this.options.routes.caughtUp(routesRevision, ROUTES_CATCH_UP_MS))) {
      log.warn(
        { event_id: event.event_id, routes_revision: routesRevision },
        'route table is behind the publisher: dispatching with what it has',
      );
    }
    const routes = this.options.routes.matching(event).filter((route) => !onlyRoute || route.id === onlyRoute);
    if (routes.length === 0) {
      await unrouted.record(event);
      log.info({ event_id: event.event_id, subject: msg.subject }, 'no route matches: recorded as unrouted');
      return { result: 'unrouted' };
    }

    const heartbeat = setInterval(() => msg.working(), this.options.ackWaitMs / 3);
    let outcomes: RouteOutcome[];
    try {
      outcomes = await Promise.all(routes.map((route) => runRoute(route, event, attempt, this.stepDeps())));
    } finally {
      clearInterval(heartbeat);
    }

    const failures = outcomes.filter((outcome) => !outcome.ok);
    if (failures.length === 0) return { result: 'handled' };
    const retried = failures.flatMap((failure) => (failure.retry.retry ? [failure.retry.notBeforeMs] : []));
    if (attempt < retry.maxAttempts && retried.length > 0) {
      // The policy's delay, or longer where a handler asked for it (RetryAfterError).
      const delay = Math.max(retryDelay(retry, attempt), ...retried);
      log.warn({ event_id: event.event_id, attempt, retry_in_ms: delay }, 'event failed: retrying');
      return { result: 'retrying', retryInMs: delay };
    }
    for (const failure of failures) {
      await deadLetters.add(
        {
          reason: 'handler_failed',
          account_key: event.account_key,
          event,
          route_id: failure.route.id,
          step: failure.step,
          handler: failure.handler,
          error: isSwitchboardError(failure.error)
            ? failure.error.toJSON()
            : { code: 'handler_failed', message: errorMessage(failure.error) },
          attempts: attempt,
          failed_at: new Date().toISOString(),
        } satisfies DeadLetter,
        `${event.event_id}-${failure.route.id}-${msg.seq}`,
      );
      log.error({ event_id: event.event_id, route_id: failure.route.id, step: failure.step, attempts: attempt }, 'event dead-lettered');
    }
    return { result: failures.length === outcomes.length ? 'dead_lettered' : 'handled' };
  }

  private stepDeps() {
    const { registry, services, log } = this.options;
    return {
      registry,
      services,
      log,
      emit: (parent: VumiApiEvent, emitted: EmittedEvent[], route: Route, step: number) => this.emit(parent, emitted, route, step),
    };
  }

  private async emit(parent: VumiApiEvent, emitted: EmittedEvent[], route: Route, step: number): Promise<void> {
    for (const [index, one] of emitted.entries()) {
      await this.options.events.publish(parent, one, { route_id: route.id, origin: `step-${step}-${index}` }, route.allow_cycle?.max_depth);
    }
  }
}
