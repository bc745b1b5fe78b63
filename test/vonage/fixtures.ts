import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startSimulator, type Simulator } from '#libs/vonage-sim';
import { createLogger, type Logger } from '#libs/logger';
import type { ApplicationCredentials } from '#libs/vonage';

export const silentLogger = createLogger({ level: 'silent' });

export interface KeyPair {
  privateKey: string;
  publicKey: string;
}

export function rsaKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: Record<string, unknown>;
  at: number;
}

/** A real HTTP server on loopback that records what it receives and answers `respond(request)`. */
export interface Receiver {
  url: string;
  received: ReceivedWebhook[];
  /** Status to answer for each request; 200 unless set. */
  respond: (hook: ReceivedWebhook) => number;
  waitFor(predicate: (received: ReceivedWebhook[]) => boolean, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: ReceivedWebhook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const hook: ReceivedWebhook = {
        path: req.url ?? '',
        headers: req.headers,
        rawBody,
        body: JSON.parse(rawBody) as Record<string, unknown>,
        at: Date.now(),
      };
      received.push(hook);
      res.statusCode = receiver.respond(hook);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const receiver: Receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    respond: () => 200,
    async waitFor(predicate, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) {
          throw new Error(`timed out waiting for webhooks; received: ${JSON.stringify(received.map((r) => [r.path, r.body]))}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return received;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return receiver;
}

/** A logger whose JSON lines the test can read, e.g. to count the client's retries. */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'debug' },
    {
      write(line: string) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  return { logger, lines };
}

export const TIME_SCALE = 0.01;

export interface SimHarness {
  readonly applicationId: string;
  readonly keys: KeyPair;
  /** What a client signs its JWTs with for this simulator's application. */
  readonly credentials: ApplicationCredentials;
  readonly secret: string;
  readonly sim: Simulator;
  readonly receiver: Receiver;
}

/**
 * A simulator on loopback (time scale 0.01) posting signed webhooks to a receiver's /status and
 * /inbound: started once for the file, reset before each test.
 */
export function useSimulator(applicationId: string): SimHarness {
  const keys = rsaKeyPair();
  const secret = `${applicationId}-signature-secret`;
  let running: { sim: Simulator; receiver: Receiver } | undefined;
  const started = () => {
    if (!running) throw new Error('the simulator starts in beforeAll: use it inside tests');
    return running;
  };
  beforeAll(async () => {
    const receiver = await startReceiver();
    const sim = await startSimulator({
      applications: [{ applicationId, publicKey: keys.publicKey }],
      statusWebhookUrl: `${receiver.url}/status`,
      inboundWebhookUrl: `${receiver.url}/inbound`,
      signatureSecret: secret,
      timeScale: TIME_SCALE,
      logger: silentLogger,
    });
    running = { sim, receiver };
  });
  afterAll(async () => {
    await running?.sim.close();
    await running?.receiver.close();
  });
  beforeEach(() => {
    const { sim, receiver } = started();
    sim.reset();
    // A test may have pointed the webhooks elsewhere.
    sim.setWebhooks({ status: `${receiver.url}/status`, inbound: `${receiver.url}/inbound` });
    receiver.received.length = 0;
    receiver.respond = () => 200;
  });
  return {
    applicationId,
    keys,
    credentials: { applicationId, privateKey: keys.privateKey },
    secret,
    get sim() {
      return started().sim;
    },
    get receiver() {
      return started().receiver;
    },
  };
}
