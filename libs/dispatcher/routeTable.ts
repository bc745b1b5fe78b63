import type { VumiApiEvent } from '#libs/events';
import type { Logger } from '#libs/logger';
import type { LiveTable, Route, RouteRepository } from '#libs/store';
import { routeMatches } from './routeMatcher.js';

/**
 * Every route, kept current by watching the routes bucket: a saved, changed or deleted route
 * applies to the next event, with no restart and no cache to flush.
 */
export class RouteTable {
  private constructor(private readonly routes: LiveTable<Route>) {}

  static async start(repository: RouteRepository, log: Logger): Promise<RouteTable & { stop(): void }> {
    const routes = await repository.live(log);
    return Object.assign(new RouteTable(routes), { stop: () => routes.stop() });
  }

  /** Routes of the event's account that match it, in id order (a stable order for logs and tests). */
  matching(event: VumiApiEvent): Route[] {
    return [...this.routes.inAccount(event.account_key)]
      .filter((route) => routeMatches(route, event))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * Resolves once the table holds every route change up to `revision` (true), or after the
   * timeout (false), so an event published after a route was saved sees that route.
   */
  caughtUp(revision: number, timeoutMs: number): Promise<boolean> {
    return this.routes.caughtUp(revision, timeoutMs);
  }

  get size(): number {
    return this.routes.size;
  }
}
