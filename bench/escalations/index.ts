import { randomUUID } from 'node:crypto';
import type { Benchmark } from '../harness/benchmark.js';
import { formatNumber } from '../harness/table.js';
import { RawBaseline } from './baseline.js';
import { planCases } from './cases.js';
import { driveRun } from './drive.js';
import { startEnvironment } from './environment.js';
import { ESCALATION_OPTIONS, sizesFrom } from './options.js';
import { escalationFigures, escalationNotes, lagsTable, mismatchLines, mixTable, resultTable, type EscalationRun } from './report.js';
import { saveRoutes } from './routeSetup.js';
import { benchRoutes } from './routes.js';
import { sendsTimeline } from './sends.js';
import { verifyRun } from './verify.js';

/**
 * Issue 3's figures: N concurrent escalations (3 users x 2-3 channels each, a mix of read, never
 * and rejected scenarios, every one with its own recipients) through a Switchboard server in its
 * own process, against the simulator in this one; every outcome checked from durable state.
 */
export const escalationsBenchmark: Benchmark = {
  name: 'escalations',
  description:
    'N concurrent multi-user, multi-channel escalations through a server process and the simulator: correctness, sends/s, peak RSS',
  options: ESCALATION_OPTIONS,
  async run(ctx) {
    const sizes = sizesFrom(ctx);
    const routes = benchRoutes();
    const cases = planCases(sizes.escalations, routes, `esc-${randomUUID().slice(0, 8)}`, sizes.seed);
    const expectedSends = cases.reduce((sum, one) => sum + one.expected.sends, 0);
    // Longest scenarios first: the last escalations to start are the quickest to end, so a ramped run
    // lasts about as long as its ramp and sends/s over it measures the system, not the scenarios' expiries.
    const order = [...cases].sort((a, b) => b.expected.idealMs - a.expected.idealMs);

    const env = await startEnvironment(ctx, sizes, expectedSends);
    const baseline = await RawBaseline.prepare(ctx, env.natsUrl);
    await baseline.measure(ctx, 'before', sizes.baselineReps);
    const routesRevision = await saveRoutes(env.front, env.bus, routes);
    for (const one of cases) for (const { to, scenario } of one.scenarios) env.sim.setScenario(to, scenario);
    ctx.progress(
      `${formatNumber(cases.length)} escalations, ${formatNumber(expectedSends)} sends expected; starting ${sizes.rate > 0 ? `${sizes.rate}/s` : 'all at once'}`,
    );
    const drive = await driveRun(ctx, env, order, sizes, routesRevision);

    ctx.progress('verifying from the escalations bucket and the EVENTS stream');
    const verification = await verifyRun(env.bus, cases);
    const sends = sendsTimeline(env.sim.messages());
    const serverLogs = env.server.processes.flatMap((one) => one.process.logs);
    await env.server.stop();
    // Again once the server has stopped: the machine's speed drifts over a run of minutes.
    await baseline.measure(ctx, 'after', sizes.baselineReps);

    const run: EscalationRun = {
      ...drive,
      sizes,
      cases,
      verification,
      sends,
      endedAt: verification.lastEndedAt || Date.now(),
      rawEventsPerSecond: baseline.eventsPerSecond,
      serverWarnings: serverLogs.length,
      serverRoles: env.server.processes.map((one) => one.roles),
      expiriesS: routes.flatMap((route) => route.users.flatMap((user) => user.channels.map((one) => one.expiryS))),
    };
    ctx.print(
      [resultTable(run), mixTable(run), lagsTable(verification.lags, Math.min(...run.expiriesS) * 1000 * sizes.scale)].join('\n\n'),
    );
    const problems = [
      ...mismatchLines('wrong, missing or unfinished escalations', verification.wrong),
      ...mismatchLines('escalations without exactly one outcome event of the right type', verification.badEvents),
      ...mismatchLines('escalations with more sends than their scenario calls for', verification.extraSends),
      ...mismatchLines('escalations with fewer sends than their scenario calls for', verification.missingSends),
    ];
    if (problems.length > 0) ctx.print(`\n${problems.join('\n')}`);
    if (serverLogs.length > 0)
      ctx.print(
        `\nserver warn+ log lines, first 5:\n${serverLogs
          .slice(0, 5)
          .map((line) => `  ${JSON.stringify(line).slice(0, 300)}`)
          .join('\n')}`,
      );
    return { figures: escalationFigures(run), notes: escalationNotes(run) };
  },
};
