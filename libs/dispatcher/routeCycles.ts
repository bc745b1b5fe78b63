import { validationFailed } from '#libs/errors';
import type { Route, RouteMatch } from '#libs/store';
import { hasTemplates, isTemplated } from '#libs/templates';
import type { HandlerRegistry, KnownEmission } from './handler.js';
import { whereAccepts, type WhereValue } from './routeMatcher.js';

/** A route as the check reads it: one saved, or the one being saved. */
type RouteLike = Pick<Route, 'id' | 'enabled' | 'match' | 'steps' | 'allow_cycle'>;

/** What is known of the events on a path through the routes: each field a literal, or `*` (any: the trigger's, unknown). */
interface EventShape {
  conversation_type: string;
  conversation_key: string;
  event_type: string;
}

const SHAPE_FIELDS = ['conversation_type', 'conversation_key', 'event_type'] as const;

interface StepEmission {
  step: number;
  emission: KnownEmission;
}

/** A route reached on a path from the route being saved, with the shape of what reaches it there. */
interface Visit {
  route: RouteLike;
  shape: EventShape;
  via?: { from: Visit; step: number; eventType: string };
}

/** A path longer than this many visits is not followed: an account that large is left to the fan-out budget. */
const MAX_VISITS = 50_000;

const TEMPLATED = Symbol('templated');

/** A value of configured event data at a path: TEMPLATED where a template stands, so it is known only once rendered. */
function configuredAt(data: unknown, path: readonly string[]): unknown {
  let value = data;
  for (const key of path) {
    if (isTemplated(value)) return TEMPLATED;
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return hasTemplates(value) ? TEMPLATED : value;
}

/** A `where` entry met for sure by configured data; a templated value is not judged. */
function surelyAccepts(path: string, expected: WhereValue, data: unknown): boolean {
  const actual = configuredAt(data, path.split('.').slice(1));
  return actual !== TEMPLATED && whereAccepts(expected, actual);
}

/** The shape of the events of `shape` that `match` takes, or undefined when it takes none. */
function matched(shape: EventShape, match: RouteMatch, data: unknown): EventShape | undefined {
  const taken = { ...shape };
  for (const field of SHAPE_FIELDS) {
    const wanted = match[field];
    if (wanted === '*') continue;
    if (shape[field] !== '*' && shape[field] !== wanted) return undefined;
    taken[field] = wanted;
  }
  const where = Object.entries(match.where ?? {});
  return where.every(([path, expected]) => surelyAccepts(path, expected, data)) ? taken : undefined;
}

/** What a route emits for sure, step by step (emit_event with a literal type and conversation). */
function knownEmissions(route: RouteLike, registry: HandlerRegistry): StepEmission[] {
  return route.steps.flatMap((step, index) =>
    (registry.get(step.handler)?.emissions?.(step.config) ?? []).map((emission) => ({ step: index, emission })),
  );
}

function emitted(trigger: EventShape, emission: KnownEmission): EventShape {
  return {
    conversation_type: emission.conversation_type ?? trigger.conversation_type,
    conversation_key: emission.conversation_key ?? trigger.conversation_key,
    event_type: emission.event_type,
  };
}

/** The hops from the route being saved back to it: each route and the event type it emits. */
function hopsTo(end: Visit): Array<{ route: string; step: number; eventType: string }> {
  const hops = [];
  for (let at: Visit | undefined = end; at?.via; at = at.via.from)
    hops.unshift({ route: at.via.from.route.id, step: at.via.step, eventType: at.via.eventType });
  return hops;
}

/**
 * The first cycle through `route` (breadth first: the shortest), as hops; an event it emits leads
 * back to it. Routes allowed to cycle bound every cycle through them, so a path ends at one.
 */
function findCycle(route: RouteLike, others: readonly RouteLike[], registry: HandlerRegistry): ReturnType<typeof hopsTo> | undefined {
  const routes = [...others.filter((one) => one.id !== route.id), route].filter((one) => one.enabled);
  const emissions = new Map(routes.map((one) => [one.id, knownEmissions(one, registry)]));
  const queue: Visit[] = [
    {
      route,
      shape: {
        conversation_type: route.match.conversation_type,
        conversation_key: route.match.conversation_key,
        event_type: route.match.event_type,
      },
    },
  ];
  const seen = new Set<string>();
  for (let index = 0; index < queue.length && index < MAX_VISITS; index++) {
    const visit = queue[index]!;
    for (const { step, emission } of emissions.get(visit.route.id) ?? []) {
      const shape = emitted(visit.shape, emission);
      for (const next of routes) {
        const taken = matched(shape, next.match, emission.event_data);
        if (!taken) continue;
        const reached: Visit = { route: next, shape: taken, via: { from: visit, step, eventType: emission.event_type } };
        if (next.id === route.id) return hopsTo(reached);
        if (next.allow_cycle || !emissions.get(next.id)?.length) continue;
        const key = JSON.stringify([next.id, taken]);
        if (seen.has(key)) continue;
        seen.add(key);
        queue.push(reached);
      }
    }
  }
  return undefined;
}

/**
 * Refuses a route that would emit an event it matches itself, directly or through other routes of
 * its account (a 400 naming the cycle), unless it allows that with `allow_cycle`. Only emissions
 * known when it is saved are judged (an emit_event whose type and conversation are literal); a
 * templated type is known only once rendered, and left to the fan-out budget. Two routes saved at
 * the same moment may still close a cycle between them: the budget bounds that too.
 */
export async function refuseCycles(
  route: RouteLike,
  accountRoutes: () => Promise<readonly RouteLike[]>,
  registry: HandlerRegistry,
): Promise<void> {
  if (!route.enabled || route.allow_cycle || knownEmissions(route, registry).length === 0) return;
  const hops = findCycle(route, await accountRoutes(), registry);
  if (!hops) return;
  const told = hops.map(
    (hop, index) => `${index === 0 ? `route "${hop.route}"` : `which route "${hop.route}" matches, which`} emits "${hop.eventType}"`,
  );
  throw validationFailed([
    {
      path: `steps.${hops[0]!.step}.config.event_type`,
      message:
        `${told.join(', ')}, which route "${route.id}" matches: a cycle, each event causing the next without end. ` +
        `Bound it with "allow_cycle": {"max_depth": <n>} on ${hops.length === 1 ? 'the route' : 'one of these routes'}, or change what ${hops.length === 1 ? 'it matches or emits' : 'they match or emit'}`,
    },
  ]);
}
