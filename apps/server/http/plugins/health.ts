import type { FastifyPluginAsync } from 'fastify';
import { Events } from 'nats';
import { natsFailure, type Bus } from '#libs/bus';
import { errorMessage, SwitchboardError } from '#libs/errors';
import type { Logger } from '#libs/logger';
import { access } from '../accessControl.js';

export interface HealthOptions {
  bus: Bus;
  log: Logger;
}

export type Readiness = { ready: true } | { ready: false; reason: string };

/** How long one readiness answer stands: however many probes come, NATS is asked at most once a second. */
const READINESS_TTL_MS = 1000;
/** How long NATS has to answer a readiness check, well within a probe's own timeout. */
const READINESS_TIMEOUT_MS = 1000;

/** Whether NATS answers: a round trip (refused at once while disconnected), then JetStream's account info. */
async function checkBus(bus: Bus): Promise<Readiness> {
  if (bus.nc.isClosed()) return { ready: false, reason: 'the connection to the message bus (NATS) is closed: this process is stopping' };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new SwitchboardError('unavailable', `the message bus (NATS) did not answer within ${READINESS_TIMEOUT_MS / 1000} s`)),
      READINESS_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([bus.nc.rtt().then(() => bus.jsm.getAccountInfo()), deadline]);
    return { ready: true };
  } catch (err) {
    return { ready: false, reason: natsFailure(err)?.message ?? errorMessage(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** The last readiness check, shared by the probes that come while it stands (one check in flight at most). */
class ReadinessProbe {
  private last: { at: number; answer: Promise<Readiness> } | undefined;

  constructor(private readonly check: () => Promise<Readiness>) {}

  answer(): Promise<Readiness> {
    if (!this.last || Date.now() - this.last.at >= READINESS_TTL_MS) this.last = { at: Date.now(), answer: this.check() };
    return this.last.answer;
  }

  /** The connection changed: the next probe checks again. */
  forget(): void {
    this.last = undefined;
  }
}

/** Logs the connection's losses and returns (one line each, not one per refused request), and tells `changed`. */
function watchConnection(bus: Bus, log: Logger, changed: () => void): void {
  void (async () => {
    for await (const status of bus.nc.status()) {
      if (status.type === Events.Disconnect) {
        log.warn({ server: status.data }, 'the message bus (NATS) is unreachable: requests that need it get 503 until it is back');
        changed();
      } else if (status.type === Events.Reconnect) {
        log.info({ server: status.data }, 'the message bus (NATS) is back');
        changed();
      }
    }
  })().catch((err: unknown) => log.error({ err }, 'watching the NATS connection failed'));
}

/**
 * Probes: `/healthz` (liveness) answers 200 while the process runs, NATS down or not, since a NATS
 * outage heals without a restart (nats.js reconnects for ever); only a connection closed for good
 * fails it. `/readyz` (readiness) answers 200 only while NATS answers, else 503 with the reason.
 */
export const healthPlugin: FastifyPluginAsync<HealthOptions> = async (app, { bus, log }) => {
  const readiness = new ReadinessProbe(() => checkBus(bus));
  watchConnection(bus, log, () => readiness.forget());

  app.get(
    '/healthz',
    { config: { access: access.public('a liveness probe: says only that the process runs') } },
    async (_request, reply) => {
      const open = !bus.nc.isClosed();
      return reply.status(open ? 200 : 503).send({ ok: open });
    },
  );

  app.get(
    '/readyz',
    { config: { access: access.public('a readiness probe: says only whether NATS answers, and if not why') } },
    async (_request, reply) => {
      const answer = await readiness.answer();
      return reply.status(answer.ready ? 200 : 503).send(answer);
    },
  );
};
