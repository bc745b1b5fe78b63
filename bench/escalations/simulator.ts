import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { startSimulator, type Simulator } from '#libs/vonage-sim';
import { createLogger } from '#libs/logger';
import type { BenchContext } from '../harness/benchmark.js';

export interface BenchProvider {
  sim: Simulator;
  /** The server's VONAGE_* settings: it talks to this simulator as it would to Vonage. */
  vonageEnv: Record<string, string>;
}

/**
 * The simulator in the benchmark's process, standing in for Vonage: its own application key pair
 * and signature secret, webhooks to the server's fixed port, and the run's time scale, so a
 * scenario's "read after 5 s" and the plan's "60 s expiry" shrink alike.
 */
export async function startBenchSimulator(
  ctx: BenchContext,
  options: { serverPort: number; timeScale: number; maxMessages: number },
): Promise<BenchProvider> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const applicationId = randomUUID();
  const secret = `bench-${randomUUID()}`;
  const base = `http://127.0.0.1:${options.serverPort}`;
  const sim = await startSimulator({
    applications: [{ applicationId, publicKey }],
    statusWebhookUrl: `${base}/webhooks/status`,
    inboundWebhookUrl: `${base}/webhooks/inbound`,
    signatureSecret: secret,
    timeScale: options.timeScale,
    // Every accepted message is kept: the run's sends are counted and timed from them.
    maxRecordedMessages: options.maxMessages,
    logger: createLogger({ level: 'warn', name: 'bench-vonage-sim' }),
  });
  ctx.defer(() => sim.close());
  return {
    sim,
    vonageEnv: {
      VONAGE_API_URL: sim.url,
      VONAGE_APPLICATION_ID: applicationId,
      VONAGE_PRIVATE_KEY: privateKey,
      VONAGE_SIGNATURE_SECRET: secret,
    },
  };
}
