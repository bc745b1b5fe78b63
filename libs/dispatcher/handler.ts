import type { z } from 'zod';
import type { SwitchboardError } from '#libs/errors';
import type { EmittedEvent, VumiApiEvent } from '#libs/events';
import type { Logger } from '#libs/logger';
import type { EscalationStarter } from '#libs/escalation';
import type { Messenger } from '#libs/messaging';
import type { Route, Stores } from '#libs/store';

/** The provider this server sends through. */
export interface ProviderInfo {
  /** True for the local simulator (the embedded default). */
  simulated: boolean;
  applicationId: string;
}

/** What handlers may use: repositories, the provider and escalations to start, never an app. */
export interface HandlerServices {
  stores: Stores;
  messenger: Messenger;
  provider: ProviderInfo;
  escalations: EscalationStarter;
}

/** An earlier step's result, visible to later steps as `steps.<index>` and `steps.<name>`. */
export interface StepOutput {
  handler: string;
  output: Record<string, unknown>;
}

export interface StepContext<C> {
  event: VumiApiEvent;
  config: C;
  steps: StepOutput[];
  route: Route;
  stepIndex: number;
  /** `<event_id>:<route_id>:<step>`: the key for idempotent work. */
  stepKey: string;
  /** 1 on first delivery, then 2, 3... on retries. */
  attempt: number;
  log: Logger;
  services: HandlerServices;
}

export interface StepResult {
  output?: Record<string, unknown>;
  emit?: EmittedEvent[];
}

/**
 * An event a step will emit, as far as its saved config tells before any event comes: a literal
 * type, a literal conversation or none (then the triggering event's), and its data as configured
 * (templates unrendered).
 */
export interface KnownEmission {
  event_type: string;
  conversation_type?: string;
  conversation_key?: string;
  event_data?: unknown;
}

export interface Handler<S extends z.ZodType = z.ZodType> {
  type: string;
  description: string;
  /** The one source of truth for the handler's config and its documentation. */
  config: S;
  handle(ctx: StepContext<z.infer<S>>): Promise<StepResult>;
  /**
   * A step whose config is invalid once rendered (a template filled a field badly), with `config`
   * as rendered. Without it the step fails for good (a dead letter); a handler whose work others
   * follow (escalate_users) records the failure where they look instead.
   */
  refused?(ctx: StepContext<unknown>, error: SwitchboardError): Promise<StepResult>;
  /** The events a step of this config surely emits, for the cycle check when a route is saved; templated ones are left out. */
  emissions?(config: Record<string, unknown>): KnownEmission[];
}

export type HandlerRegistry = ReadonlyMap<string, Handler>;

/** Declares a handler with its config type inferred from the schema. */
export function defineHandler<S extends z.ZodType>(handler: Handler<S>): Handler<S> {
  return handler;
}
