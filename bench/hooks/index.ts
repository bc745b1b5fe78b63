import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectBus } from '#libs/bus';
import type { HookRepository } from '#libs/hooks';
import type { Stores } from '#libs/store';
import type { Benchmark, BenchContext } from '../harness/benchmark.js';
import { startBenchNats } from '../harness/nats.js';
import { waitUntil } from '../harness/waitUntil.js';
import { runLoad, type LoadSpec } from './load.js';
import { HOOKS_OPTIONS, sizesFrom, type HooksSizes } from './options.js';
import { hooksFigures, hooksNotes, runsTable, type CheckedRun } from './report.js';
import { processCpuSeconds } from './serverCpu.js';
import { benchStores, createHooks, seedContacts, startHooksServer, TIME_SCALE, watchLaunches } from './setup.js';

/** The payload of every call: Xenioo's audience-and-values mode, as a query string and as JSON. */
const QUERY =
  'audience_filters=team&audience_criteria=Equals&audience_values=ops&set_variables=alerted&set_variables_values=yes&message=bench';
const BODY = JSON.stringify({
  audience_filters: ['team'],
  audience_criteria: ['Equals'],
  audience_values: ['ops'],
  set_variables: ['alerted'],
  set_variables_values: ['yes'],
  message: 'bench',
});

interface Session {
  ctx: BenchContext;
  sizes: HooksSizes;
  serverUrl: string;
  serverPid: number;
  dataDir: string;
  stores: Stores;
  hookStore: HookRepository;
  bus: Awaited<ReturnType<typeof connectBus>>;
  audience: number;
}

/**
 * One load run on its own account's hooks, then the check that makes its figure mean something:
 * every hook launched exactly once (the debounce held across all its calls), with the audience.
 */
async function measured(session: Session, name: string, hookCount: number, method: 'GET' | 'POST'): Promise<CheckedRun> {
  const { ctx, sizes, serverUrl, serverPid, dataDir, stores, hookStore, bus, audience } = session;
  const account = `bench-hooks-${randomUUID().slice(0, 8)}`;
  await seedContacts(stores, account, sizes.contacts);
  const hooks = await createHooks(serverUrl, dataDir, account, hookCount);
  const launches = watchLaunches(bus, account);
  ctx.defer(() => launches.stop());
  ctx.progress(`${name}: ${sizes.seconds} s, ${sizes.connections} connections, ${hookCount} hook(s)`);
  const spec: LoadSpec = {
    name,
    url: serverUrl,
    paths: hooks.map((hook) => hook.path),
    method,
    payload: method === 'GET' ? QUERY : BODY,
    connections: sizes.connections,
    seconds: sizes.seconds,
  };
  const run = await runLoad(spec, () => processCpuSeconds(serverPid));
  if (run.failures > 0) throw new Error(`${name}: ${run.failures} calls failed (non-200 or connection errors)`);

  // 10 s of debounce pass in 1 s here; the last timer then has to reach the front of the queue.
  const everyOne = () => hooks.every((hook) => (launches.byHook.get(hook.id)?.length ?? 0) >= 1);
  await waitUntil(`one launch per hook after ${name}`, everyOne, 10_000 * TIME_SCALE + 30_000);
  await sleep(2000);
  const counts = hooks.map((hook) => launches.byHook.get(hook.id) ?? []);
  if (counts.some((one) => one.length !== 1))
    throw new Error(`${name}: a hook launched more than once: ${JSON.stringify(counts.filter((one) => one.length !== 1))}`);
  if (counts.some((one) => one[0] !== audience)) throw new Error(`${name}: a launch's audience was not the ${audience} ops contacts`);
  launches.stop();
  const debounceWrites = hookCount === 1 ? (await hookStore.launchState(account, hooks[0]!.id))?.generation : undefined;
  return { ...run, launches: counts.length, debounceWrites };
}

/**
 * Launch-hook calls per second on one server process: autocannon on loopback against
 * /hooks/<token>, on one hook (every call debounced into one launch) and round-robin over many.
 */
export const hooksBenchmark: Benchmark = {
  name: 'hooks',
  description:
    'launch-hook calls/s and latency on one server process (autocannon on loopback): one hook GET and POST, many hooks round-robin',
  options: HOOKS_OPTIONS,
  async run(ctx) {
    const sizes = sizesFrom(ctx);
    const nats = await startBenchNats(ctx);
    const dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-bench-hooks-'));
    ctx.defer(() => rm(dataDir, { recursive: true, force: true }));
    ctx.progress('starting the server process (LOG_LEVEL=warn)');
    const server = await startHooksServer(ctx, nats.url, dataDir);
    const bus = await connectBus(nats.url, { name: 'bench hooks' });
    ctx.defer(() => bus.close());
    const session: Session = {
      ctx,
      sizes,
      serverUrl: server.url!,
      serverPid: server.pid,
      dataDir,
      ...(await benchStores(bus)),
      bus,
      audience: Math.ceil(sizes.contacts / 2),
    };

    ctx.progress('warm-up (discarded)');
    await measured({ ...session, sizes: { ...sizes, seconds: Math.min(sizes.seconds, 3) } }, 'warm-up', 1, 'GET');
    const runs = [
      await measured(session, 'one hook, GET (query string)', 1, 'GET'),
      await measured(session, 'one hook, POST (JSON)', 1, 'POST'),
      await measured(session, `${sizes.hooks} hooks round-robin, GET`, sizes.hooks, 'GET'),
    ];
    ctx.print(runsTable(runs));
    if (server.logs.length > 0)
      ctx.print(
        `\nserver warn+ log lines, first 5:\n${server.logs
          .slice(0, 5)
          .map((line) => `  ${JSON.stringify(line).slice(0, 300)}`)
          .join('\n')}`,
      );
    return { figures: hooksFigures(runs), notes: hooksNotes(sizes, session.audience) };
  },
};
