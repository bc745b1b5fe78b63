export { EscalationEngine, ESCALATION_TIMER, type EngineOptions, type StartRequest } from './engine.js';
export { attemptsSummary, type Receipt, type Scale } from './transitions.js';
export { startRetention, type Retention, type RetentionOptions } from './retention.js';
