import type { VumiApiEvent } from '#libs/events';
import type { Route, RouteMatch } from '#libs/store';

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

export type WhereValue = NonNullable<RouteMatch['where']>[string];

/** Whether a `where` entry takes this value: equal to it, or to one of a list. */
export function whereAccepts(expected: WhereValue, actual: unknown): boolean {
  return Array.isArray(expected) ? expected.some((one) => one === actual) : expected === actual;
}

function whereMatches(where: NonNullable<RouteMatch['where']>, event: VumiApiEvent): boolean {
  return Object.entries(where).every(([path, expected]) => whereAccepts(expected, valueAt(event.event_data, path.split('.').slice(1))));
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
