export { EscalationEngine, type EngineOptions } from './engine.js';
export { ESCALATION_TIMER } from './timerTasks.js';
export type { EscalationStarter, FailRequest, Started, StartRequest } from './starter.js';
export { attemptsSummary, type Receipt, type Scale } from './transitions.js';
export { startRecovery, type RecoveryOptions } from './recovery.js';
export { startRetention, type RetentionOptions } from './retention.js';
export {
  Attempt,
  AttemptResult,
  Condition,
  DispatchRun,
  Effect,
  Escalation,
  EscalationFailure,
  EscalationFrame,
  EscalationPlan,
  EscalationState,
  EscalationStatus,
  EscalationView,
  escalationView,
  Outcome,
  PlanChannel,
  PlanUser,
} from './model.js';
export { escalationId } from './references.js';
export { isRunning } from './docs.js';
export { EscalationRepository, type EscalationRef } from './repository.js';
