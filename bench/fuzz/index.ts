import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadOrCreateSimCredentials } from '../../apps/server/simCredentials.js';
import { loadSettings } from '#libs/config';
import { apiClient } from '../../test/support/api.js';
import { createFuzzFixtures, describeTally, fuzzEndpoints, fuzzRequests, runFuzz } from '../../test/support/fuzzBodies.js';
import { spawnSwitchboard } from '../../test/support/processes.js';
import { startTestSwitchboard, tokenFor } from '../../test/support/switchboard.js';
import { sampleProcess } from '../escalations/procStats.js';
import { intParam, type Benchmark, type BenchContext } from '../harness/benchmark.js';
import { startBenchNats } from '../harness/nats.js';
import { once } from '../harness/once.js';

const FUZZ_OPTIONS = {
  requests: 'fuzzed requests sent (100000; --quick 5000)',
  concurrency: 'requests in flight at once, over keep-alive connections (32; --quick 16)',
  seed: 'the generator seed: the same seed sends the same requests (20260113)',
} as const;

const MB = 1024 * 1024;

/** The route catalogue with who may call each: read from a server started in this process (the benchmark's server is another process). */
async function routeCatalogue(ctx: BenchContext, natsUrl: string) {
  const catalogue = await startTestSwitchboard(natsUrl, { roles: ['http'] });
  const routes = catalogue.httpRoutes;
  await catalogue.close();
  ctx.progress(`${routes.length} routes in the catalogue`);
  return routes;
}

/**
 * Hostile bodies against a server process: the fuzz test's generator (deep nesting, huge strings,
 * many keys, broken unicode and UTF-8, wrong content types, truncated and non-object JSON,
 * prototype keys, out-of-range numbers, duplicate keys, mutations of valid bodies) on every
 * endpoint that takes a body, the signed and unsigned provider webhooks and a hook's launch URL.
 */
export const fuzzBenchmark: Benchmark = {
  name: 'fuzz',
  description: 'hostile request bodies against a server process: 5xx answers, requests/s, and the server RSS before and after',
  options: FUZZ_OPTIONS,
  async run(ctx) {
    const requests = intParam(ctx, 'requests', 100_000, 5000);
    const concurrency = intParam(ctx, 'concurrency', 32, 16);
    const seed = intParam(ctx, 'seed', 20_260_113);
    const nats = await startBenchNats(ctx);
    const dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-bench-fuzz-'));
    ctx.defer(() => rm(dataDir, { recursive: true, force: true }));
    const routes = await routeCatalogue(ctx, nats.url);

    ctx.progress('starting the server process (LOG_LEVEL=warn)');
    const server = await spawnSwitchboard({
      NATS_URL: nats.url,
      HOST: '127.0.0.1',
      PORT: '0',
      SWITCHBOARD_DATA_DIR: dataDir,
      SWITCHBOARD_SIM_PORT: '0',
      LOG_LEVEL: 'warn',
      // The fixtures' subscription points at loopback; rate limits out of the way: every body must reach the parser.
      SWITCHBOARD_ALLOW_PRIVATE_TARGETS: 'true',
      SWITCHBOARD_RATE_EVENTS_PER_S: '100000000',
      SWITCHBOARD_RATE_HOOK_LAUNCHES_PER_S: '100000000',
    });
    ctx.defer(once(() => server.stop()));
    const baseUrl = server.url!;
    const apiToken = await tokenFor(dataDir);
    const api = apiClient(baseUrl, apiToken);
    const fixtures = await createFuzzFixtures(api);
    const endpoints = fuzzEndpoints(routes, fixtures.params);
    const { signature_secret: signatureSecret } = await loadOrCreateSimCredentials(dataDir);

    const before = sampleProcess(server.pid);
    ctx.progress(`${requests} requests over ${endpoints.length} endpoints, ${concurrency} at a time (seed ${seed})`);
    const bodyLimit = loadSettings({}).http.bodyLimit;
    const tally = await runFuzz(fuzzRequests(endpoints, { count: requests, seed, bodyLimit }), {
      baseUrl,
      apiToken,
      signatureSecret,
      concurrency,
    });
    const justAfter = sampleProcess(server.pid);
    // What the server keeps once the load is over, not what it was in the middle of.
    await sleep(5000);
    const after = sampleProcess(server.pid);

    const health = await api.get('/healthz');
    const event = await api.post('/v1/accounts/fuzz-after/events', {
      conversation_type: 'web',
      conversation_key: 'form',
      event_type: 'after_fuzz',
      event_data: { ok: true },
    });
    if (health.status !== 200 || event.status !== 202)
      throw new Error(`the server does not serve after the fuzz: /healthz ${health.status}, an event ${event.status}`);

    ctx.print(describeTally(tally));
    if (tally.serverErrors.length > 0)
      ctx.print(
        `\nfirst 5xx answers:\n${tally.serverErrors
          .slice(0, 5)
          .map((one) => `  ${one.status} ${one.method} ${one.target} (${one.kind}): ${one.body}`)
          .join('\n')}`,
      );
    if (server.logs.length > 0)
      ctx.print(
        `\nserver warn+ log lines: ${server.logs.length}, first 5:\n${server.logs
          .slice(0, 5)
          .map((line) => `  ${JSON.stringify(line).slice(0, 300)}`)
          .join('\n')}`,
      );

    const answered = [...tally.byStatus.values()].reduce((sum, n) => sum + n, 0);
    const unanswered = [...tally.unanswered.values()].reduce((sum, n) => sum + n, 0);
    return {
      figures: [
        { name: 'fuzz: answers of 5xx', value: tally.serverErrorCount, unit: 'answers', target: { op: '<=', value: 0 } },
        {
          name: 'fuzz: 4xx answers not in the error format',
          value: tally.badErrorBodyCount,
          unit: 'answers',
          target: { op: '<=', value: 0 },
        },
        { name: 'fuzz: requests/s', value: answered / (tally.durationMs / 1000), unit: 'req/s' },
        { name: 'fuzz: server RSS before', value: before.rssBytes / MB, unit: 'MB', decimals: 1 },
        { name: 'fuzz: server RSS right after', value: justAfter.rssBytes / MB, unit: 'MB', decimals: 1 },
        { name: 'fuzz: server RSS 5 s after', value: after.rssBytes / MB, unit: 'MB', decimals: 1 },
        { name: 'fuzz: server peak RSS (VmHWM)', value: after.peakRssBytes / MB, unit: 'MB', decimals: 1 },
        { name: 'fuzz: server CPU', value: after.cpuSeconds - before.cpuSeconds, unit: 's', decimals: 1 },
      ],
      notes: [
        `${tally.sent} requests (${unanswered} closed before an answer: bodies over the limit), ${concurrency} at a time over keep-alive connections on loopback, seed ${seed}`,
        `${endpoints.length} endpoints: every POST, PUT and PATCH route of the catalogue, the provider webhooks (half signed) and GET /hooks/<token> with hostile queries`,
        'server in its own process (npm start, every role), product defaults but LOG_LEVEL=warn, private subscription targets allowed and rate limits raised',
      ],
    };
  },
};
