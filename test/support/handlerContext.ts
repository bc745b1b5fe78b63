import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { z } from 'zod';
import { openBuckets } from '#libs/bus';
import { stepsView, type Handler, type HandlerServices, type StepContext, type StepOutput } from '#libs/dispatcher';
import { validationError, type SwitchboardError } from '#libs/errors';
import type { EscalationStarter, FailRequest, Started, StartRequest } from '#libs/escalation';
import { VumiApiEvent } from '#libs/events';
import { Messenger, ProviderInbox, StoredReceipts, type Senders } from '#libs/messaging';
import { createStores, Route } from '#libs/store';
import { render } from '#libs/templates';
import { MessagesClient } from '#libs/vonage';
import { startSimulator, type Simulator } from '#libs/vonage-sim';
import { rsaKeyPair, silentLogger } from '../vonage/fixtures.js';
import { useTestBus } from './nats.js';

const APPLICATION_ID = 'handler-tests';

/** The server's senders for the channels the tests send on; mms and rcs have none, for the "no sender" refusals. */
export const TEST_SENDERS: Senders = {
  sms: 'Switchboard',
  whatsapp: '447700900000',
  messenger: 'switchboard',
  viber_service: 'switchboard',
};

type Escalation = Started['escalation'];

/**
 * The escalations port as a recorder. It keeps the engine's contract (one escalation per id; a
 * repeated request answers that one with `created: false`) without its sends and timers, which
 * the engine's own suites cover.
 */
export class RecordingEscalations implements EscalationStarter {
  readonly starts: StartRequest[] = [];
  readonly failures: FailRequest[] = [];
  readonly byId = new Map<string, Escalation>();
  /** When set, every call throws it, as the engine does when NATS is down. */
  outage: Error | undefined;

  start(request: StartRequest): Promise<Started> {
    this.starts.push(request);
    return this.record(request, { status: 'active', plan: request.plan });
  }

  fail(request: FailRequest): Promise<Started> {
    this.failures.push(request);
    return this.record(request, { status: 'failed', plan: { mode: 'messages', users: [], rounds: 1, text: '' }, failure: request.failure });
  }

  private async record(request: StartRequest | FailRequest, given: Pick<Escalation, 'status' | 'plan' | 'failure'>): Promise<Started> {
    if (this.outage) throw this.outage;
    const existing = this.byId.get(request.id);
    if (existing) return { escalation: existing, created: false };
    const now = new Date().toISOString();
    const escalation: Escalation = {
      ...given,
      id: request.id,
      account_key: request.account_key,
      route_id: request.route_id,
      step: request.step,
      trigger: request.trigger,
      cursor: { round: 0, user: 0, channel: 0 },
      attempts: [],
      dispatches: [],
      outbox: [],
      started_at: now,
      updated_at: now,
    };
    this.byId.set(request.id, escalation);
    return { escalation, created: true };
  }

  clear(): void {
    this.starts.length = 0;
    this.failures.length = 0;
    this.byId.clear();
    this.outage = undefined;
  }
}

export interface StepOptions {
  /** Default: a fresh event of the test's account. */
  event?: VumiApiEvent;
  /** The route's earlier steps' outputs: the step runs at index `before.length`. */
  before?: StepOutput[];
  /** 1 unless told: a later one is a retry of the same step (same stepKey). */
  attempt?: number;
}

export interface HandlerTestbed {
  /** A fresh account per test, so that no test sees another's contacts, messages or broadcasts. */
  readonly account: string;
  readonly services: HandlerServices;
  readonly sim: Simulator;
  readonly escalations: RecordingEscalations;
  /** An event of the test's account, with this data. */
  event(data?: Record<string, unknown>): VumiApiEvent;
  /** The context the step runner gives `handle`: the route's config rendered over the event and earlier outputs, then parsed. */
  step<S extends z.ZodType>(handler: Handler<S>, config: Record<string, unknown>, options?: StepOptions): StepContext<z.infer<S>>;
  /** The context and error the step runner gives `refused`, for a config invalid once rendered. */
  refusedStep(
    handler: Handler,
    config: Record<string, unknown>,
    options?: StepOptions,
  ): { context: StepContext<unknown>; error: SwitchboardError };
}

interface Running {
  services: HandlerServices;
  sim: Simulator;
}

/**
 * The services a handler gets in the server, from real parts: a suite's own nats-server with the
 * buckets provisioned, the stores over them, and a Messenger sending to a Vonage simulator (no
 * webhooks; the Vonage client tries a send twice, 1 ms apart, so a 5xx fails fast). Escalations
 * are the recording port above. Started once per file; each test gets a fresh account.
 */
export function useHandlerTestbed(): HandlerTestbed {
  const testBus = useTestBus();
  const escalations = new RecordingEscalations();
  let running: Running | undefined;
  let account: string | undefined;
  let accounts = 0;

  beforeAll(async () => {
    const { bus } = testBus;
    const keys = rsaKeyPair();
    const sim = await startSimulator({
      applications: [{ applicationId: APPLICATION_ID, publicKey: keys.publicKey }],
      timeScale: 0.01,
      logger: silentLogger,
    });
    const stores = createStores(await openBuckets(bus));
    const client = new MessagesClient({
      baseUrl: sim.url,
      credentials: { applicationId: APPLICATION_ID, privateKey: keys.privateKey },
      maxAttempts: 2,
      baseDelayMs: 1,
      logger: silentLogger,
    });
    const accepted = new StoredReceipts(bus, new ProviderInbox(bus, silentLogger).filed);
    const messenger = new Messenger(client, stores.messages, TEST_SENDERS, accepted, silentLogger);
    running = { sim, services: { stores, messenger, provider: { simulated: true, applicationId: APPLICATION_ID }, escalations } };
  });
  afterAll(async () => {
    await running?.sim.close();
  });
  beforeEach(() => {
    account = `acct-${++accounts}`;
    running?.sim.reset();
    escalations.clear();
  });

  const started = (): Running & { account: string } => {
    if (!running || !account) throw new Error('the handler testbed starts in beforeAll: use it inside tests');
    return { ...running, account };
  };
  const event = (data: Record<string, unknown> = {}): VumiApiEvent =>
    VumiApiEvent.parse({
      event_id: randomUUID(),
      account_key: started().account,
      conversation_type: 'poll',
      conversation_key: 'ops-poll',
      event_type: 'poll_complete',
      event_data: data,
      timestamp: new Date().toISOString(),
    });

  // As the step runner does (libs/dispatcher/stepRunner.ts): render the route's config, then parse it with the handler's schema.
  const prepare = <S extends z.ZodType>(
    handler: Handler<S>,
    config: Record<string, unknown>,
    { event: given, before = [], attempt = 1 }: StepOptions,
  ) => {
    const { services } = started();
    const trigger = given ?? event();
    const stepIndex = before.length;
    const now = new Date().toISOString();
    const route = Route.parse({
      id: 'route-1',
      account_key: trigger.account_key,
      match: {},
      steps: [...before.map((output) => ({ handler: output.handler })), { handler: handler.type, config }],
      created_at: now,
      updated_at: now,
    });
    const rendered = render(config, { event: trigger, steps: stepsView(route, before) });
    const context = {
      event: trigger,
      steps: before,
      route,
      stepIndex,
      stepKey: `${trigger.event_id}:${route.id}:${stepIndex}`,
      attempt,
      log: silentLogger,
      services,
    };
    return { context, rendered, parsed: handler.config.safeParse(rendered) };
  };

  return {
    get account() {
      return started().account;
    },
    get services() {
      return started().services;
    },
    get sim() {
      return started().sim;
    },
    escalations,
    event,
    step(handler, config, options = {}) {
      const { context, parsed } = prepare(handler, config, options);
      if (!parsed.success) throw new Error(`the test's ${handler.type} config is invalid: ${parsed.error.message}`);
      return { ...context, config: parsed.data };
    },
    refusedStep(handler, config, options = {}) {
      const { context, rendered, parsed } = prepare(handler, config, options);
      if (parsed.success) throw new Error(`the test's ${handler.type} config is valid once rendered: the runner would call handle`);
      return { context: { ...context, config: rendered }, error: validationError(parsed.error, `steps.${context.stepIndex}.config`) };
    },
  };
}
