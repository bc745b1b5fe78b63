import type { VumiApiEvent } from '#libs/events';
import type { Subscription, SubscriptionFilter } from '#libs/store';

/**
 * `*` in a pattern stands for any run of characters. Matched by scanning, not with a regular
 * expression: a pattern such as `*a*a*a*…` cannot make it backtrack for long.
 */
function eventTypeMatches(pattern: string, eventType: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resumeAt = 0;
  while (t < eventType.length) {
    if (pattern[p] === '*') {
      star = p++;
      resumeAt = t;
    } else if (p < pattern.length && pattern[p] === eventType[t]) {
      p++;
      t++;
    } else if (star >= 0) {
      // Let the last star take one more character and try again from there.
      p = star + 1;
      t = ++resumeAt;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

function tokenMatches(pattern: string, value: string): boolean {
  return pattern === '*' || pattern === value;
}

export function filterMatches(filter: SubscriptionFilter, event: VumiApiEvent): boolean {
  return (
    tokenMatches(filter.conversation_type, event.conversation_type) &&
    tokenMatches(filter.conversation_key, event.conversation_key) &&
    filter.event_types.some((pattern) => eventTypeMatches(pattern, event.event_type))
  );
}

/** An enabled subscription of the event's account whose filter takes the event. */
export function subscriptionMatches(subscription: Subscription, event: VumiApiEvent): boolean {
  return subscription.enabled && subscription.account_key === event.account_key && filterMatches(subscription.filter, event);
}
