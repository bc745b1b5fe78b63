export { CausedEvents } from './causedEvents.js';
export { Dispatcher, type DispatcherOptions, type DispatcherStats, type DispatchResult, type EventSubscribers } from './dispatcher.js';
export { FanoutBudget } from './fanoutBudget.js';
export {
  defineHandler,
  type Handler,
  type HandlerRegistry,
  type HandlerServices,
  type KnownEmission,
  type ProviderInfo,
  type StepContext,
  type StepOutput,
  type StepResult,
} from './handler.js';
export { NonRetriableError, RetryAfterError, type HandlerErrorOptions } from './handlerErrors.js';
export { retryDelay, retryRequest, type RetryPolicy, type RetryRequest } from './retryPolicy.js';
export { refuseCycles } from './routeCycles.js';
export { routeMatches } from './routeMatcher.js';
export { RouteTable } from './routeTable.js';
export { RouteInput, validateRoute, type RouteDefinition } from './routeValidation.js';
export { runRoute, stepsView, type RouteOutcome } from './stepRunner.js';
export { UnroutedEvents, type UnroutedEvent } from './unrouted.js';
