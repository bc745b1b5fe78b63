export { EscalationEngine, ESCALATION_TIMER, type EngineOptions, type FailRequest, type StartRequest } from './engine.js';
export { attemptsSummary, type Receipt, type Scale } from './transitions.js';
export { startRecovery, type RecoveryOptions } from './recovery.js';
export { startRetention, type RetentionOptions } from './retention.js';
