import { z } from 'zod';
import type { Subscription } from 'nats';
import { openBuckets, type Bus } from '#libs/bus';
import { VumiApiEvent } from '#libs/events';
import { HookRepository } from '#libs/hooks';
import { createStores, type Stores } from '#libs/store';
import { apiClient } from '../../test/support/api.js';
import { spawnSwitchboard, type SwitchboardProcess } from '../../test/support/processes.js';
import { tokenFor } from '../../test/support/switchboard.js';
import type { BenchContext } from '../harness/benchmark.js';
import { once } from '../harness/once.js';

/** 10 s of debounce (the default) pass in one second: the runs' launches are checked soon after. */
export const TIME_SCALE = 0.1;

/**
 * `npm start` as its own process, every role in it: the HTTP API takes the calls, the engine
 * fires the launch timers. Product defaults except LOG_LEVEL=warn, the time scale, and the
 * per-hook rate limit, raised out of the way: the benchmark measures the launcher, not the limiter.
 */
export async function startHooksServer(ctx: BenchContext, natsUrl: string, dataDir: string): Promise<SwitchboardProcess> {
  const server = await spawnSwitchboard({
    NATS_URL: natsUrl,
    HOST: '127.0.0.1',
    PORT: '0',
    SWITCHBOARD_DATA_DIR: dataDir,
    SWITCHBOARD_SIM_PORT: '0',
    LOG_LEVEL: 'warn',
    SWITCHBOARD_TIME_SCALE: String(TIME_SCALE),
    SWITCHBOARD_RATE_HOOK_LAUNCHES_PER_S: '100000000',
  });
  ctx.defer(once(() => server.stop()));
  return server;
}

/** The account's contacts, written straight to the store: every other one is on team ops. */
export async function seedContacts(stores: Stores, account: string, count: number): Promise<number> {
  for (let i = 0; i < count; i++) {
    await stores.contacts.upsert(account, {
      id: `c${i}`,
      name: `Contact ${i}`,
      channels: [{ type: 'sms', id_num: `4477009${String(i).padStart(5, '0')}` }],
      variables: { team: i % 2 === 0 ? 'ops' : 'sales' },
    });
  }
  return Math.ceil(count / 2);
}

/** The repositories the benchmark reads and seeds beside the server: contacts, and the hooks' launch state. */
export async function benchStores(bus: Bus): Promise<{ stores: Stores; hookStore: HookRepository }> {
  const buckets = await openBuckets(bus);
  return { stores: createStores(buckets), hookStore: new HookRepository(buckets.hooks) };
}

/** What creating a hook answers, of which the benchmark needs two fields. */
const CreatedHook = z.looseObject({ id: z.string(), launch_path: z.string() });

/** Creates hooks through the API, as an operator would; returns their ids and launch paths. */
export async function createHooks(
  serverUrl: string,
  dataDir: string,
  account: string,
  count: number,
): Promise<Array<{ id: string; path: string }>> {
  const api = apiClient(serverUrl, await tokenFor(dataDir));
  const hooks: Array<{ id: string; path: string }> = [];
  for (let i = 0; i < count; i++) {
    const res = await api.post(`/v1/accounts/${account}/hooks`, { name: `bench ${i}`, event: { event_type: 'bench_launch' } });
    if (res.status !== 201) throw new Error(`creating a hook failed: ${res.status} ${JSON.stringify(res.body)}`);
    const created = CreatedHook.parse(res.body);
    hooks.push({ id: created.id, path: created.launch_path });
  }
  return hooks;
}

/** Counts the launch events of an account by hook, with the audience size each carried. */
export function watchLaunches(bus: Bus, account: string): { byHook: Map<string, number[]>; stop(): void } {
  const byHook = new Map<string, number[]>();
  const sub: Subscription = bus.nc.subscribe(`events.${account}.>`, {
    callback: (_err, msg) => {
      const event = VumiApiEvent.parse(JSON.parse(new TextDecoder().decode(msg.data)));
      const data = event.event_data as { hook_id: string; audience: { count: number } };
      byHook.set(data.hook_id, [...(byHook.get(data.hook_id) ?? []), data.audience.count]);
    },
  });
  return { byHook, stop: () => sub.unsubscribe() };
}
