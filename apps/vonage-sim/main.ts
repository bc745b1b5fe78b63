import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { errorMessage, validationError } from '#libs/errors';
import { createLogger } from '#libs/logger';
import { startSimulator } from '#libs/vonage-sim';

function required(hint: string) {
  return z.string({ error: hint }).min(1, hint);
}

/** `npm run sim`: the simulator on its own, configured from the environment. */
const Env = z.object({
  SIM_PORT: z.coerce.number().int().min(0).max(65_535).default(3100),
  SIM_HOST: z.string().min(1).default('127.0.0.1'),
  SIM_APPLICATION_ID: required('set it to the application id the clients sign their JWTs with'),
  SIM_PUBLIC_KEY_FILE: required("set it to a PEM file with the application's public key"),
  SIM_STATUS_URL: z.url().optional(),
  SIM_INBOUND_URL: z.url().optional(),
  SIM_SIGNATURE_SECRET: z.string().min(1).optional(),
  SIM_CONTROL_TOKEN: z
    .string()
    .regex(
      /^\S{16,}$/,
      'set it to 16 or more random characters without spaces (the bearer token /_sim/* requires), e.g. $(openssl rand -base64 32), or leave it unset to have one generated and printed at start',
    )
    .optional(),
  SWITCHBOARD_TIME_SCALE: z.coerce.number().positive().default(1),
});

const logger = createLogger({ name: 'vonage-sim' });

async function main(): Promise<void> {
  const parsed = Env.safeParse(process.env);
  if (!parsed.success) throw validationError(parsed.error, 'env');
  const env = parsed.data;
  const sim = await startSimulator(
    {
      applications: [{ applicationId: env.SIM_APPLICATION_ID, publicKey: readFileSync(env.SIM_PUBLIC_KEY_FILE, 'utf8') }],
      statusWebhookUrl: env.SIM_STATUS_URL,
      inboundWebhookUrl: env.SIM_INBOUND_URL,
      signatureSecret: env.SIM_SIGNATURE_SECRET,
      controlToken: env.SIM_CONTROL_TOKEN,
      timeScale: env.SWITCHBOARD_TIME_SCALE,
      logger,
    },
    { host: env.SIM_HOST, port: env.SIM_PORT },
  );
  console.log(`Vonage simulator at ${sim.url}`);
  if (!env.SIM_CONTROL_TOKEN) {
    console.log(`Control API token (generated; set SIM_CONTROL_TOKEN to choose one): ${sim.controlToken}`);
    console.log(`  use: export SIM_TOKEN=<it>; curl -H "Authorization: Bearer $SIM_TOKEN" ${sim.url}/_sim/messages`);
  }
  const stop = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'stopping');
    sim.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'simulator did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  logger.error(errorMessage(err));
  process.exit(1);
});
