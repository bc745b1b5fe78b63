export { AccountLimits, AccountLimitsOverride } from './accountLimits.js';
export { LimitsTable } from './limitsTable.js';
