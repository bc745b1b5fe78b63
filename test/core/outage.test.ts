import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateSimCredentials } from '../../apps/server/simCredentials.js';
import {
  NATS_REQUEST_TIMEOUT_MS,
  NATS_RETRY_AFTER_S,
  readRecent,
  recordJson,
  startNatsServer,
  STREAMS,
  type NatsServerProcess,
} from '#libs/bus';
import { API_DEADLINE_MS } from '../../libs/http/errorHandling.js';
import { signWebhook } from '#libs/vonage';
import { freePort } from '../support/ports.js';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { z } from 'zod';
import { VumiApiEvent } from '#libs/events';
import { ApiErrorBody, EventAccepted, HookCreated } from '../../apps/server/http/answers.js';
import { bodyOf } from '../support/api.js';

/**
 * NATS outages under load: callers publish events, read, call a launch hook and post signed
 * provider webhooks while nats-server is killed (then started again) or frozen (SIGSTOP: the
 * connection stays open and nothing answers). Every failure must be a 503 `unavailable` with
 * Retry-After, within a bounded time; what was accepted must be stored once and handled.
 */

const PROJECT_CONF = path.resolve(import.meta.dirname, '../../nats.conf');
/**
 * The longest any answer may take: the API's deadline, plus what this process's event loop (the
 * server's and the callers' both) was late by, which on two busy cores has reached 2 s: counted
 * twice (the deadline's timer, then the caller reading the answer), and 1.5 s for a call to reach
 * the server and its answer to come back among hundreds in flight (measured: up to 0.7 s).
 * Without the deadline, calls queued behind a failed hook write took 10 s.
 */
const boundMs = (eventLoopLagMs: number) => API_DEADLINE_MS + 2 * eventLoopLagMs + 1500;
/** How soon after NATS is back every request must be served again. */
const RECOVERY_MS = 3000;
/** A request unanswered this long counts as hung. */
const HUNG_MS = API_DEADLINE_MS + 15_000;

type Kind = 'event' | 'read' | 'hook' | 'webhook';
const KINDS: readonly Kind[] = ['event', 'read', 'hook', 'webhook'];

interface Answer {
  kind: Kind;
  startedAt: number;
  ms: number;
  /** 0: no answer within HUNG_MS. */
  status: number;
  code?: string;
  message?: string;
  retryAfter: string | null;
  /** What a success names: an event's id, a webhook's message_uuid. */
  ref?: string;
}

/** What /readyz and /healthz answer. */
const ProbeBody = z.object({ ready: z.boolean().optional(), reason: z.string().optional(), ok: z.boolean().optional() });

interface Probe {
  path: '/readyz' | '/healthz';
  startedAt: number;
  answeredAt: number;
  status: number;
  body: z.infer<typeof ProbeBody>;
}

/** The code and message of an error answer; nothing for any other. */
function errorIn(body: unknown): { code?: string; message?: string } {
  const answer = ApiErrorBody.safeParse(body);
  return answer.success ? { code: answer.data.error.code, message: answer.data.error.message } : {};
}

/** A nats-server of this suite's own that can be killed, frozen and started again on the same port and store. */
async function startOutageNats() {
  const storeDir = await mkdtemp(path.join(tmpdir(), 'switchboard-nats-'));
  const port = await freePort();
  const monitorPort = await freePort();
  const launch = () => startNatsServer({ configFile: PROJECT_CONF, port, monitorPort, storeDir });
  let server: NatsServerProcess = await launch();
  // A suite that times out never reaches its afterAll: its server must not outlive the test process (SIGKILL ends a frozen one too).
  process.once('exit', () => server.killNow());
  return {
    url: server.url,
    kill: () => server.kill(),
    async start() {
      server = await launch();
    },
    freeze: () => process.kill(server.pid, 'SIGSTOP'),
    thaw: () => process.kill(server.pid, 'SIGCONT'),
    async stop() {
      await server.kill();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}

let nats: Awaited<ReturnType<typeof startOutageNats>>;
let sb: TestSwitchboard;
let signatureSecret: string;

beforeAll(async () => {
  nats = await startOutageNats();
  sb = await startTestSwitchboard(nats.url);
  signatureSecret = (await loadOrCreateSimCredentials(sb.dataDir)).signature_secret;
});

afterAll(async () => {
  await sb?.close();
  await nats?.stop();
});

interface CallAnswer {
  status: number;
  body: unknown;
  retryAfter: string | null;
}

async function call(method: string, target: string, body?: string, headers: Record<string, string> = {}): Promise<CallAnswer> {
  const response = await fetch(`${sb.url}${target}`, {
    method,
    body,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    signal: AbortSignal.timeout(HUNG_MS),
  }).catch(() => undefined);
  const text = (await response?.text().catch(() => '')) ?? '';
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: response?.status ?? 0, body: parsed, retryAfter: response?.headers.get('retry-after') ?? null };
}

/** Steady streams of calls (each at its pace, however long answers take), and the two probes, until `stop`. */
function startLoad(account: string, hookPath: string) {
  const answers: Answer[] = [];
  const probes: Probe[] = [];
  let running = true;

  async function stream(kind: Kind, everyMs: number, request: (n: number) => Promise<CallAnswer & { ref?: string }>) {
    const inFlight = new Set<Promise<void>>();
    for (let n = 0; running; n++) {
      const startedAt = Date.now();
      const done: Promise<void> = request(n)
        .then((answer) => {
          answers.push({
            kind,
            startedAt,
            ms: Date.now() - startedAt,
            status: answer.status,
            ...errorIn(answer.body),
            retryAfter: answer.retryAfter,
            ref: answer.ref,
          });
        })
        .finally(() => inFlight.delete(done));
      inFlight.add(done);
      // The stream's pace: the next call goes whether or not this one has been answered.
      await sleep(everyMs);
    }
    await Promise.all(inFlight);
  }

  async function probe(target: Probe['path']) {
    while (running) {
      const startedAt = Date.now();
      const answer = await call('GET', target);
      probes.push({ path: target, startedAt, answeredAt: Date.now(), status: answer.status, body: ProbeBody.parse(answer.body ?? {}) });
      // The probes' pace, as a load balancer's health checks have one.
      await sleep(100);
    }
  }

  return sb.token({}).then((apiToken) => {
    const auth = { authorization: `Bearer ${apiToken}` };
    const event = (n: number) =>
      JSON.stringify({ conversation_type: 'load', conversation_key: 'k', event_type: 'tick', event_data: { n } });
    const webhook = (messageUuid: string) =>
      JSON.stringify({
        message_uuid: messageUuid,
        to: '447700900001',
        from: 'x',
        timestamp: new Date().toISOString(),
        status: 'delivered',
        channel: 'sms',
        client_ref: account,
      });
    const loops = [
      // Four sources of events, 25 a second each.
      ...[0, 1, 2, 3].map(() =>
        stream('event', 40, async (n) => {
          const answer = await call('POST', `/v1/accounts/${account}/events`, event(n), auth);
          return { ...answer, ref: EventAccepted.safeParse(answer.body).data?.event_id };
        }),
      ),
      stream('read', 100, (n) =>
        call('GET', n % 2 ? `/v1/accounts/${account}/routes/relay` : `/v1/accounts/${account}/contacts`, undefined, auth),
      ),
      stream('hook', 200, () => call('POST', hookPath, '{}')),
      stream('webhook', 200, async () => {
        const messageUuid = randomUUID();
        const body = webhook(messageUuid);
        return {
          ...(await call('POST', '/webhooks/status', body, { authorization: `Bearer ${await signWebhook(body, signatureSecret)}` })),
          ref: messageUuid,
        };
      }),
      probe('/readyz'),
      probe('/healthz'),
    ];
    return {
      answers,
      probes,
      async stop() {
        running = false;
        await Promise.all(loops);
      },
    };
  });
}

/** Every event of the account on the EVENTS stream. */
async function storedEvents(account: string): Promise<VumiApiEvent[]> {
  return (await readRecent(sb.bus, STREAMS.events, `events.${account}.>`, Number.POSITIVE_INFINITY)).map((record) =>
    VumiApiEvent.parse(recordJson(record)),
  );
}

const counted = (ids: Array<string | undefined>) =>
  ids.reduce((counts, id) => counts.set(id, (counts.get(id) ?? 0) + 1), new Map<string | undefined, number>());

/**
 * Runs the load through an outage (`breakNats` resolves once it is over, with when it began and
 * when NATS was back), and checks everything an outage must and must not do.
 */
async function throughOutage(
  name: string,
  breakNats: () => Promise<{ downAt: number; backAt: number }>,
  readiness: { downWithinMs: number; reason: RegExp },
) {
  const account = `outage-${randomUUID().slice(0, 8)}`;
  // Each event is handled by emitting one `tock` caused by it: what "handled" is counted by.
  expect(
    (
      await sb.api.put(`/v1/accounts/${account}/routes/relay`, {
        match: { event_type: 'tick' },
        steps: [{ handler: 'emit_event', config: { event_type: 'tock' } }],
      })
    ).status,
  ).toBe(201);
  const hook = await sb.api.post(`/v1/accounts/${account}/hooks`, { event: { event_type: 'launched' }, debounce_s: 1 });
  expect(hook.status).toBe(201);

  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  const load = await startLoad(account, bodyOf(hook, HookCreated).launch_path);
  // A second of steady load before the outage, and the load kept up through the recovery after it.
  await sleep(1000);
  const { downAt, backAt } = await breakNats();
  await sleep(RECOVERY_MS + 2500);
  await load.stop();
  lag.disable();
  const lagMs = Math.round(lag.max / 1e6);
  const { answers, probes } = load;

  // No 500, no other failure: every refusal is a 503 `unavailable` telling when to retry.
  const failures = answers.filter((answer) => answer.status < 200 || answer.status >= 300);
  expect(answers.filter((answer) => answer.status === 500)).toEqual([]);
  expect(
    failures.filter(
      (answer) => !(answer.status === 503 && answer.code === 'unavailable' && answer.retryAfter === String(NATS_RETRY_AFTER_S)),
    ),
  ).toEqual([]);
  // Each kind of call met the outage, and was served before it.
  for (const kind of KINDS) {
    expect(failures.filter((answer) => answer.kind === kind).length, `503s of ${kind} calls`).toBeGreaterThan(0);
    expect(
      answers.filter((answer) => answer.kind === kind && answer.startedAt < downAt && answer.status < 300).length,
      `${kind} calls before`,
    ).toBeGreaterThan(0);
  }
  // None waits past the bound.
  const slowest = Math.max(...answers.map((answer) => answer.ms));
  expect(slowest).toBeLessThanOrEqual(boundMs(lagMs));

  // Served again within RECOVERY_MS of NATS coming back: every call started later succeeds.
  const after = answers.filter((answer) => answer.startedAt >= backAt + RECOVERY_MS);
  expect(after.filter((answer) => answer.status >= 300)).toEqual([]);
  for (const kind of KINDS) expect(after.filter((answer) => answer.kind === kind).length, `${kind} calls after`).toBeGreaterThan(0);

  // Liveness throughout; readiness down during the outage and up again after it.
  const healthz = probes.filter((probe) => probe.path === '/healthz');
  expect(healthz.length).toBeGreaterThan(20);
  expect(healthz.filter((probe) => probe.status !== 200)).toEqual([]);
  const readyz = probes.filter((probe) => probe.path === '/readyz');
  const duringOutage = readyz.filter((probe) => probe.startedAt >= downAt + readiness.downWithinMs && probe.answeredAt < backAt);
  // Frozen, each check waits out its 1 s deadline: fewer probes fit.
  expect(duringOutage.length).toBeGreaterThan(1);
  for (const probe of duringOutage) {
    expect(probe.status).toBe(503);
    expect(probe.body).toEqual({ ready: false, reason: expect.stringMatching(readiness.reason) });
  }
  expect(readyz.filter((probe) => probe.answeredAt < downAt && probe.status !== 200)).toEqual([]);
  const readyAgain = readyz.filter((probe) => probe.startedAt >= backAt + RECOVERY_MS);
  expect(readyAgain.length).toBeGreaterThan(3);
  expect(readyAgain.filter((probe) => probe.status !== 200)).toEqual([]);

  // Every event answered 202 is stored exactly once, and handled once.
  const accepted = answers.filter((answer) => answer.kind === 'event' && answer.status === 202).map((answer) => answer.ref!);
  expect(accepted.length).toBeGreaterThan(50);
  const handled = await waitFor(
    'every accepted event handled',
    async () => {
      const stored = await storedEvents(account);
      const tocks = counted(stored.filter((event) => event.event_type === 'tock').map((event) => event.cause?.parent_event_id));
      return accepted.every((id) => tocks.has(id)) && { stored, tocks };
    },
    15_000,
  );
  const ticks = counted(handled.stored.filter((event) => event.event_type === 'tick').map((event) => event.event_id));
  expect(accepted.filter((id) => ticks.get(id) !== 1)).toEqual([]);
  expect(accepted.filter((id) => handled.tocks.get(id) !== 1)).toEqual([]);

  // Every webhook answered 200 is filed on PROVIDER.
  const taken = answers.filter((answer) => answer.kind === 'webhook' && answer.status === 200).map((answer) => answer.ref!);
  const filed = Object.keys((await sb.bus.jsm.streams.info(STREAMS.provider, { subjects_filter: 'provider.>' })).state.subjects ?? {});
  expect(taken.filter((messageUuid) => !filed.some((subject) => subject.includes(messageUuid)))).toEqual([]);

  console.log(
    `${name}: ${answers.length} calls, ${failures.length} answered 503 (none 500), slowest ${slowest} ms (event loop late by ${lagMs} ms at most); ${accepted.length} events accepted, each stored and handled once; ${taken.length} webhooks taken, each filed`,
  );
}

describe('a NATS outage under load', () => {
  it('killed, then started again 6 s later: 503 with Retry-After within the deadline, nothing accepted lost, served again once it is back', async () => {
    await throughOutage(
      'killed',
      async () => {
        const downAt = Date.now();
        await nats.kill();
        // Longer than a NATS request's timeout: calls queued behind a failed one meet the outage again.
        await sleep(NATS_REQUEST_TIMEOUT_MS + 1000);
        await nats.start();
        return { downAt, backAt: Date.now() };
      },
      // The client sees the socket close at once and readiness is checked again as it does; the
      // room is for a busy event loop, which may serve a probe from the cached answer (1 s) first.
      { downWithinMs: 1500, reason: /^the message bus \(NATS\) is unreachable/ },
    );
  }, 40_000);

  it('frozen (connected, answering nothing) past the request timeout: 503 once it times out, nothing accepted lost', async () => {
    await throughOutage(
      'frozen',
      async () => {
        const downAt = Date.now();
        nats.freeze();
        try {
          // Frozen past a NATS request's timeout, so that calls time out against it.
          await sleep(NATS_REQUEST_TIMEOUT_MS + 1000);
        } finally {
          nats.thaw();
        }
        return { downAt, backAt: Date.now() };
      },
      // The connection stays open: a readiness check times out (1 s) after the cached answer expires (1 s).
      { downWithinMs: 3000, reason: /^the message bus \(NATS\) did not answer within 1 s/ },
    );
  }, 40_000);
});
