export { EscalationEngine, ESCALATION_TIMER, type EngineOptions } from './engine.js';
export type { EscalationStarter, FailRequest, Started, StartRequest } from './starter.js';
export { attemptsSummary, type Receipt, type Scale } from './transitions.js';
export { startRecovery, type RecoveryOptions } from './recovery.js';
export { startRetention, type RetentionOptions } from './retention.js';
