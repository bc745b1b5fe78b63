import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Scenario, SimMessage } from '#libs/vonage-sim';
import { connectBus, openBuckets } from '#libs/bus';
import { EscalationRepository, type Escalation } from '#libs/escalation';
import { freePort } from '../../test/support/ports.js';
import { spawnSwitchboard, type SwitchboardProcess } from '../../test/support/processes.js';
import type { BenchContext } from '../harness/benchmark.js';
import { startBenchNats } from '../harness/nats.js';
import { planCases } from '../escalations/cases.js';
import { saveRoutes } from '../escalations/routeSetup.js';
import { BENCH_ACCOUNT, benchRoutes } from '../escalations/routes.js';
import { startBenchSimulator } from '../escalations/simulator.js';
import { publishTriggers } from '../escalations/triggers.js';
import { verifyRun, type Verification } from '../escalations/verify.js';
import { watchOutcomes } from '../escalations/outcomeWatch.js';
import { seededRandom } from '../escalations/cases.js';

export interface StormOptions {
  escalations: number;
  kills: number;
  /** SWITCHBOARD_TIME_SCALE of the server and the simulator. */
  scale: number;
  /** Escalation starts per second. */
  rate: number;
  seed: number;
  /** Extra environment for the server (e.g. a short ack wait in tests). */
  serverEnv: Record<string, string>;
  /** After the last kill, how long to wait for every escalation to end before the verdict. */
  settleMs: number;
}

export interface StormResult {
  verification: Verification;
  kills: number;
  /** Messages the provider accepted twice (or more) for one attempt: the same client_ref, with when each was accepted and the recipient's scenario. */
  doubleSends: Array<{ clientRef: string; to: string; count: number; acceptedAt: string[]; scenario: string }>;
  sends: number;
  /** From the first trigger to the last escalation ending (or the verdict). */
  durationMs: number;
  /** How long each restart took, SIGKILL to ready. */
  restartMs: number[];
  allEnded: boolean;
  /** What the stuck ones hold: status, lease, outbox and attempts, for the report. */
  stuck: string[];
  /** The escalations whose outcome is not the scenario's, with their attempts' times, beside the kills' times. */
  wrong: string[];
  killedAt: string[];
}

/** Every accepted message's client_ref more than once is a recipient messaged twice for one attempt. */
function doubleSendsOf(messages: ReadonlyArray<SimMessage>, scenarios: ReadonlyMap<string, Scenario>): StormResult['doubleSends'] {
  const byRef = new Map<string, SimMessage[]>();
  for (const message of messages) {
    if (message.client_ref) byRef.set(message.client_ref, [...(byRef.get(message.client_ref) ?? []), message]);
  }
  return [...byRef]
    .filter(([, sent]) => sent.length > 1)
    .map(([clientRef, sent]) => ({
      clientRef,
      to: sent[0]!.to,
      count: sent.length,
      acceptedAt: sent.map((one) => one.accepted_at),
      scenario: JSON.stringify(scenarios.get(sent[0]!.to) ?? 'the default'),
    }));
}

/**
 * The escalations benchmark's workload (3 users x 2-3 channels, read / never / rejected
 * scenarios) through a server process that is SIGKILLed at random moments and started again,
 * while nats-server and the simulator run on in their own processes, as they would in
 * production. The verdict comes from durable state: every escalation ended with its expected
 * outcome and exactly one outcome event, and no recipient was messaged twice for one attempt.
 */
export async function runCrashStorm(ctx: BenchContext, options: StormOptions): Promise<StormResult> {
  const random = seededRandom(options.seed * 7919);
  const nats = await startBenchNats(ctx);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-crash-'));
  ctx.defer(() => rm(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const routes = benchRoutes();
  const cases = planCases(options.escalations, routes, `crash-${randomUUID().slice(0, 8)}`, options.seed);
  const expectedSends = cases.reduce((sum, one) => sum + one.expected.sends, 0);
  const { sim, vonageEnv } = await startBenchSimulator(ctx, {
    serverPort: port,
    timeScale: options.scale,
    maxMessages: expectedSends * 4 + 10_000,
  });
  const env = {
    NATS_URL: nats.url,
    HOST: '127.0.0.1',
    PORT: String(port),
    SWITCHBOARD_DATA_DIR: dataDir,
    SWITCHBOARD_SIM_PORT: '0',
    LOG_LEVEL: 'warn',
    SWITCHBOARD_TIME_SCALE: String(options.scale),
    ...vonageEnv,
    ...options.serverEnv,
  };
  let server: SwitchboardProcess = await spawnSwitchboard(env);
  ctx.defer(() => server.stop());
  const bus = await connectBus(nats.url, { name: 'crash storm' });
  ctx.defer(() => bus.close());

  const routesRevision = await saveRoutes({ url: server.url!, dataDir }, bus, routes);
  for (const one of cases) for (const { to, scenario } of one.scenarios) sim.setScenario(to, scenario);
  const watch = watchOutcomes(bus);
  ctx.defer(() => watch.stop());

  const startedAt = Date.now();
  const publishing = publishTriggers(bus, cases, { rate: options.rate, routesRevision, counter: { published: 0 } });
  publishing.catch(() => undefined);
  // Kills spread over the triggers' span and the first expiries after it, when the most is in flight.
  const spanMs = (options.escalations / options.rate) * 1000 + 20_000 * options.scale * 20;
  const restartMs: number[] = [];
  const killedAt: string[] = [];
  for (let kill = 0; kill < options.kills; kill++) {
    await sleep(Math.round((spanMs / options.kills) * (0.5 + random())));
    const killStarted = performance.now();
    killedAt.push(new Date().toISOString());
    await server.kill();
    await sleep(Math.round(200 + random() * 800));
    server = await spawnSwitchboard(env);
    restartMs.push(performance.now() - killStarted);
    ctx.progress(
      `  kill ${kill + 1}/${options.kills}: restarted in ${(restartMs.at(-1)! / 1000).toFixed(1)} s; ${watch.ended}/${cases.length} ended so far`,
    );
  }
  await publishing;
  const deadline = Date.now() + options.settleMs;
  while (watch.ended < cases.length && Date.now() < deadline) await sleep(250);
  const allEnded = watch.ended >= cases.length;
  const durationMs = Date.now() - startedAt;
  // Late duplicates (a resend after the verdict) would escape the count: give stragglers a moment.
  await sleep(1000);
  const verification = await verifyRun(bus, cases);
  const messages = sim.messages();
  const all = await new EscalationRepository((await openBuckets(bus)).escalations).list(BENCH_ACCOUNT);
  const describe = (esc: Escalation) =>
    JSON.stringify({
      id: esc.id,
      status: esc.status,
      lease: esc.flush_lease_until && new Date(esc.flush_lease_until).toISOString(),
      outbox: esc.outbox.map((effect) => effect.id),
      attempts: esc.attempts.map((a) => ({
        n: a.n,
        sent: a.sent_at,
        deadline: a.deadline_at,
        result: a.result,
        statuses: a.statuses.map((x) => `${x.status}@${x.at}`),
      })),
      ended_at: esc.ended_at,
    });
  const wrongIds = new Set(verification.wrong.map((one) => one.escalationId));
  return {
    verification,
    kills: options.kills,
    doubleSends: doubleSendsOf(messages, new Map(cases.flatMap((one) => one.scenarios.map(({ to, scenario }) => [to, scenario] as const)))),
    sends: messages.length,
    durationMs,
    restartMs,
    allEnded,
    stuck: all.filter((esc) => esc.status === 'active').map(describe),
    wrong: all.filter((esc) => esc.status !== 'active' && wrongIds.has(esc.id)).map(describe),
    killedAt,
  };
}
