import { SwitchboardError, validationError } from '#libs/errors';
import type { EmittedEvent, VumiApiEvent } from '#libs/events';
import { lazyChild, type Logger } from '#libs/logger';
import type { Route, RouteStep } from '#libs/store';
import type { Handler, HandlerRegistry, HandlerServices, StepOutput, StepResult } from './handler.js';
import { NonRetriableError } from './handlerErrors.js';
import { retryRequest, type RetryRequest } from './retryPolicy.js';
import { hasTemplates, render, type TemplateContext } from '#libs/templates';

export interface RouteFailure {
  step: number;
  handler: string;
  error: unknown;
  /** As the error asks (NonRetriableError, RetryAfterError); a config invalid once rendered is never retried. */
  retry: RetryRequest;
}

export type RouteOutcome = { route: Route } & ({ ok: true; outputs: StepOutput[] } | ({ ok: false } & RouteFailure));

export interface StepRunnerDeps {
  registry: HandlerRegistry;
  services: HandlerServices;
  log: Logger;
  /** Publishes what a step emitted (or dead-letters it past the depth cap). */
  emit(parent: VumiApiEvent, emitted: EmittedEvent[], route: Route, stepIndex: number): Promise<void>;
}

/** Earlier outputs as templates see them: `steps.0.output.x`, and `steps.<name>.output.x` for named steps. */
export function stepsView(route: Route, outputs: StepOutput[]): Record<string, StepOutput> {
  const view: Record<string, StepOutput> = {};
  outputs.forEach((output, index) => {
    view[String(index)] = output;
    const name = route.steps[index]?.name;
    if (name) view[name] = output;
  });
  return view;
}

/** Configs without templates are the same for every event: parsed once per route revision. */
const staticConfigs = new WeakMap<RouteStep, unknown>();

type StepConfig = { ok: true; config: unknown } | { ok: false; rendered: unknown; error: SwitchboardError };

function stepConfig(step: RouteStep, handler: Handler, index: number, context: () => TemplateContext): StepConfig {
  const cached = staticConfigs.get(step);
  if (cached !== undefined) return { ok: true, config: cached };
  const templated = hasTemplates(step.config);
  const rendered = templated ? render(step.config, context()) : step.config;
  const config = handler.config.safeParse(rendered);
  if (!config.success) return { ok: false, rendered, error: validationError(config.error, `steps.${index}.config`) };
  if (!templated) staticConfigs.set(step, config.data);
  return { ok: true, config: config.data };
}

/** Runs a route's steps in order; the first failing step stops the chain. */
export async function runRoute(route: Route, event: VumiApiEvent, attempt: number, deps: StepRunnerDeps): Promise<RouteOutcome> {
  const outputs: StepOutput[] = [];
  for (const [index, step] of route.steps.entries()) {
    const log = lazyChild(deps.log, { event_id: event.event_id, route_id: route.id, step: index, handler: step.handler });
    try {
      const handler = deps.registry.get(step.handler);
      if (!handler) throw new SwitchboardError('handler_failed', `handler "${step.handler}" is not installed in this dispatcher`);
      const config = stepConfig(step, handler, index, () => ({ event, steps: stepsView(route, outputs) }));
      const context = {
        event,
        steps: outputs,
        route,
        stepIndex: index,
        stepKey: `${event.event_id}:${route.id}:${index}`,
        attempt,
        log,
        services: deps.services,
      };
      let result: StepResult;
      if (config.ok) result = await handler.handle({ ...context, config: config.config });
      else if (handler.refused) result = await handler.refused({ ...context, config: config.rendered }, config.error);
      else throw NonRetriableError.from(config.error);
      outputs.push({ handler: step.handler, output: result.output ?? {} });
      if (result.emit?.length) await deps.emit(event, result.emit, route, index);
    } catch (error) {
      const retry = retryRequest(error);
      log.warn({ err: error, attempt, retry: retry.retry }, 'step failed');
      return { route, ok: false, step: index, handler: step.handler, error, retry };
    }
  }
  return { route, ok: true, outputs };
}
