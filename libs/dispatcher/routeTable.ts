import type { VumiApiEvent } from '../events/index.js';
import type { Logger } from '../logger/index.js';
import type { Route, RouteChange, RouteRepository } from '../store/index.js';
import { routeMatches } from './routeMatcher.js';

/**
 * Every route, kept current by watching the routes bucket: a saved, changed or deleted route
 * applies to the next event, with no restart and no cache to flush.
 */
export class RouteTable {
  private readonly byAccount = new Map<string, Map<string, Route>>();
  private revision = 0;
  private readonly waiters = new Set<{ revision: number; resolve: () => void }>();

  private constructor(private readonly log: Logger) {}

  static async start(repository: RouteRepository, log: Logger): Promise<RouteTable & { stop(): void }> {
    const table = new RouteTable(log);
    let ready!: () => void;
    const loaded = new Promise<void>((resolve) => (ready = resolve));
    const watch = await repository.watch((change) => table.apply(change), () => ready());
    await loaded;
    return Object.assign(table, { stop: () => watch.stop() });
  }

  /** Routes of the event's account that match it, in id order (a stable order for logs and tests). */
  matching(event: VumiApiEvent): Route[] {
    const routes = this.byAccount.get(event.account_key);
    if (!routes) return [];
    return [...routes.values()].filter((route) => routeMatches(route, event)).sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * Resolves once the table holds every route change up to `revision` (true), or after the
   * timeout (false), so an event published after a route was saved sees that route.
   */
  caughtUp(revision: number, timeoutMs: number): Promise<boolean> {
    if (this.revision >= revision) return Promise.resolve(true);
    return new Promise((resolve) => {
      const settle = (reached: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(reached);
      };
      const waiter = { revision, resolve: () => settle(true) };
      const timer = setTimeout(() => settle(false), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  get size(): number {
    let count = 0;
    for (const routes of this.byAccount.values()) count += routes.size;
    return count;
  }

  private apply(change: RouteChange): void {
    this.revision = Math.max(this.revision, change.revision);
    for (const waiter of this.waiters) if (this.revision >= waiter.revision) waiter.resolve();
    switch (change.operation) {
      case 'put': {
        const { route } = change;
        const routes = this.byAccount.get(route.account_key) ?? new Map<string, Route>();
        routes.set(route.id, route);
        this.byAccount.set(route.account_key, routes);
        this.log.debug({ account_key: route.account_key, route_id: route.id }, 'route loaded');
        break;
      }
      case 'delete':
        this.byAccount.get(change.account_key)?.delete(change.id);
        this.log.debug({ account_key: change.account_key, route_id: change.id }, 'route removed');
        break;
      case 'invalid':
        this.log.error({ key: change.key, reason: change.message }, 'stored route is not valid: ignored');
        break;
    }
  }
}
