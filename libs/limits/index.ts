export { AccountLimits, AccountLimitsOverride } from './accountLimits.js';
export { AccountUsage, isQuota, QUOTA_MEASURES, QUOTAS, type Quota, type Usage } from './accountUsage.js';
export { LimitsTable } from './limitsTable.js';
export { Quotas, quotaExceeded } from './quotas.js';
