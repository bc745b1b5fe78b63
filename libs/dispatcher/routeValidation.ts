import { validationError, validationFailed, zodIssues, type FieldIssue } from '#libs/errors';
import { Token } from '#libs/events';
import { Route } from '#libs/store';
import type { HandlerRegistry } from './handler.js';
import { isTemplated } from '#libs/templates';

function valueAtPath(value: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** A route as clients send it: id and account come from the URL, timestamps from the server. */
export const RouteInput = Route.omit({ created_at: true, updated_at: true }).extend({
  id: Token.optional(),
  account_key: Token.optional(),
});

export type RouteDefinition = Omit<Route, 'created_at' | 'updated_at'>;

/**
 * Validates a route and every step's config against its handler's schema, so a bad config is a
 * 400 naming the field when it is saved, not a failure at 3 a.m.
 */
export function validateRoute(body: unknown, target: { account: string; id: string }, registry: HandlerRegistry): RouteDefinition {
  const parsed = RouteInput.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error);

  const { id, account_key, steps } = parsed.data;
  const issues: FieldIssue[] = [];
  if (id !== undefined && id !== target.id) issues.push({ path: 'id', message: `must match the id in the URL ("${target.id}")` });
  if (account_key !== undefined && account_key !== target.account) {
    issues.push({ path: 'account_key', message: `must match the account in the URL ("${target.account}")` });
  }
  steps.forEach((step, index) => {
    const handler = registry.get(step.handler);
    if (!handler) {
      const known = [...registry.keys()].join(', ');
      issues.push({ path: `steps.${index}.handler`, message: `unknown handler "${step.handler}": use one of ${known}` });
      return;
    }
    const config = handler.config.safeParse(step.config);
    if (config.success) return;
    // A field given as a template can only be checked once rendered: the step runner does that.
    const settled = config.error.issues.filter((issue) => !isTemplated(valueAtPath(step.config, issue.path)));
    issues.push(...zodIssues({ issues: settled }, `steps.${index}.config`));
  });
  if (issues.length > 0) throw validationFailed(issues);

  return { ...parsed.data, id: target.id, account_key: target.account };
}
