import { connect, type ConnectionOptions, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import { NATS_REQUEST_TIMEOUT_MS } from './natsFailure.js';
import { applyNatsOverrides } from './natsOverrides/index.js';

export interface Bus {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  close(): Promise<void>;
}

export async function connectBus(url: string, options: Omit<ConnectionOptions, 'servers'> = {}): Promise<Bus> {
  applyNatsOverrides();
  // noAsyncTraces: nats.js otherwise builds an Error (a stack trace) for every request it makes,
  // a measured quarter of the CPU of a webhook delivery; errors keep their messages.
  const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 500, noAsyncTraces: true, ...options });
  const jsm = await nc.jetstreamManager({ timeout: NATS_REQUEST_TIMEOUT_MS });
  const js = nc.jetstream({ timeout: NATS_REQUEST_TIMEOUT_MS });
  return {
    nc,
    js,
    jsm,
    async close() {
      if (!nc.isClosed()) await nc.drain();
    },
  };
}

/** True when a NATS server answers at the URL (used to decide whether to launch our own). */
export async function natsAnswers(url: string, timeoutMs = 1500): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, timeout: timeoutMs, reconnect: false, maxReconnectAttempts: 0 });
    await nc.close();
    return true;
  } catch (err) {
    // A server that wants credentials is still a server that answers.
    return err instanceof Error && /authoriz|authenticat/i.test(err.message);
  }
}
