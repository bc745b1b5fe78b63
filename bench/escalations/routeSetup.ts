import { openBucket, BUCKETS, type Bus } from '#libs/bus';
import { accountKey } from '#libs/store';
import { apiClient } from '../../test/support/api.js';
import { tokenFor } from '../../test/support/switchboard.js';
import { BENCH_ACCOUNT, CONVERSATION, type BenchRoute } from './routes.js';

/**
 * Saves the routes through the HTTP API, as a user would (each config validated on write), and
 * returns the newest routes revision: triggers carry it so the dispatcher has every route first.
 */
export async function saveRoutes(server: { url: string; dataDir: string }, bus: Bus, routes: readonly BenchRoute[]): Promise<number> {
  // A write token for the account, signed with the secret the server keeps in its data dir.
  const api = apiClient(server.url, await tokenFor(server.dataDir, { sub: 'bench', accounts: [BENCH_ACCOUNT], scope: 'write' }));
  for (const route of routes) {
    const res = await api.put(`/v1/accounts/${BENCH_ACCOUNT}/routes/${route.id}`, {
      match: { ...CONVERSATION, event_type: route.eventType },
      steps: [{ handler: 'escalate_users', config: route.config }],
    });
    if (res.status !== 201 && res.status !== 200)
      throw new Error(`route ${route.id} refused: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }
  const bucket = await openBucket(bus, BUCKETS.routes, { history: 5 });
  let revision = 0;
  for (const route of routes) revision = Math.max(revision, (await bucket.kv.get(accountKey(BENCH_ACCOUNT, route.id)))?.revision ?? 0);
  return revision;
}
