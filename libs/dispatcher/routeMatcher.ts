import type { VumiApiEvent } from '../events/index.js';
import type { Route, RouteMatch } from '../store/index.js';

function tokenMatches(pattern: string, value: string): boolean {
  return pattern === '*' || pattern === value;
}

function valueAt(data: Record<string, unknown>, path: string[]): unknown {
  let value: unknown = data;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function whereMatches(where: NonNullable<RouteMatch['where']>, event: VumiApiEvent): boolean {
  return Object.entries(where).every(([path, expected]) => {
    const actual = valueAt(event.event_data, path.split('.').slice(1));
    return Array.isArray(expected) ? expected.some((one) => one === actual) : expected === actual;
  });
}

export function routeMatches(route: Route, event: VumiApiEvent): boolean {
  const { match } = route;
  return (
    route.enabled &&
    route.account_key === event.account_key &&
    tokenMatches(match.conversation_type, event.conversation_type) &&
    tokenMatches(match.conversation_key, event.conversation_key) &&
    tokenMatches(match.event_type, event.event_type) &&
    (match.where === undefined || whereMatches(match.where, event))
  );
}
