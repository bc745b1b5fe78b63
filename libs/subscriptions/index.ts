export { Deliveries } from './deliveries.js';
export { filterMatches } from './matching.js';
export { retrySchedule, type RetrySchedule } from './retrySchedule.js';
export { generateSecret, maskSecret } from './signing.js';
export { deliveryTargets, isPrivateAddress, type DeliveryTargets, type DeliveryUrlCheck, type ResolveAll } from './targetUrl.js';
export { SubscriptionMatcher, type MatcherOptions } from './matcher.js';
export { startDeliveryWorkers, type DeliveryWorkers, type DeliveryWorkersOptions } from './workers.js';
