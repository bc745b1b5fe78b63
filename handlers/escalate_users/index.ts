export { escalateUsersHandler } from './handler.js';
export { buildPlan, planTimeline, unsendable, type PlannedStep } from './plan.js';
export { DEFAULT_TEXT, escalateUsersConfig, type EscalateUsersConfig } from './schema.js';
export { planEscalation, startEscalation, startPlanned } from './start.js';
