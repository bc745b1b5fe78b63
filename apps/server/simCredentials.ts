import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { newControlToken } from '#libs/vonage-sim';

export const SimCredentials = z.object({
  application_id: z.string(),
  private_key: z.string(),
  public_key: z.string(),
  signature_secret: z.string(),
  /** The bearer token of the simulator's control API `/_sim/*`. */
  control_token: z.string().min(1),
});

export type SimCredentials = z.infer<typeof SimCredentials>;

/** What versions before the control token wrote; the next start adds one. */
const StoredSimCredentials = SimCredentials.extend({ control_token: SimCredentials.shape.control_token.optional() });

function credentialsFile(dataDir: string): string {
  return path.join(dataDir, 'simulator', 'credentials.json');
}

/** The control token on its own, for `export SIM_TOKEN=$(cat <data>/simulator/control-token)`. */
export function simControlTokenFile(dataDir: string): string {
  return path.join(dataDir, 'simulator', 'control-token');
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function asideOf(file: string): string {
  return `${file}.${process.pid}.${randomUUID()}.tmp`;
}

/** Written aside then renamed, so a reader never sees half a file and the result is mode 0600 whatever was there. */
async function replaceSecretFile(file: string, content: string): Promise<void> {
  const aside = asideOf(file);
  await writeFile(aside, content, { mode: 0o600, flag: 'wx' });
  await rename(aside, file);
}

/**
 * Creates `file` (mode 0600) unless it exists, whole: processes starting at once on the same data
 * directory must all end up using the first one's, never half of it. False when it existed.
 */
async function createSecretFile(file: string, content: string): Promise<boolean> {
  const aside = asideOf(file);
  await writeFile(aside, content, { mode: 0o600, flag: 'wx' });
  try {
    await link(aside, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  } finally {
    await unlink(aside);
  }
}

/** The token for credentials that have none yet: the token file's, if a process upgrading at the same time made it first. */
async function controlTokenForUpgrade(dataDir: string): Promise<string> {
  const file = simControlTokenFile(dataDir);
  const token = newControlToken();
  return (await createSecretFile(file, `${token}\n`)) ? token : (await readFile(file, 'utf8')).trim();
}

function generateCredentials(): SimCredentials {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    application_id: randomUUID(),
    private_key: privateKey,
    public_key: publicKey,
    signature_secret: randomBytes(32).toString('base64url'),
    control_token: newControlToken(),
  };
}

async function loadOrCreateCredentialsFile(dataDir: string): Promise<SimCredentials> {
  const file = credentialsFile(dataDir);
  const text = await readIfExists(file);
  if (text === undefined) {
    const credentials = generateCredentials();
    return (await createSecretFile(file, JSON.stringify(credentials, null, 2))) ? credentials : loadOrCreateCredentialsFile(dataDir);
  }
  const stored = StoredSimCredentials.parse(JSON.parse(text));
  if (stored.control_token) return { ...stored, control_token: stored.control_token };
  const upgraded: SimCredentials = { ...stored, control_token: await controlTokenForUpgrade(dataDir) };
  await replaceSecretFile(file, JSON.stringify(upgraded, null, 2));
  return upgraded;
}

/**
 * The throwaway Vonage application the embedded simulator trusts, and its control token:
 * generated on first start and kept in the data directory (mode 0600), so every process sharing
 * that directory can use them. The token is also kept in a file of its own for people to read.
 */
export async function loadOrCreateSimCredentials(dataDir: string): Promise<SimCredentials> {
  await mkdir(path.join(dataDir, 'simulator'), { recursive: true, mode: 0o700 });
  const credentials = await loadOrCreateCredentialsFile(dataDir);
  const tokenFile = simControlTokenFile(dataDir);
  if ((await readIfExists(tokenFile))?.trim() !== credentials.control_token)
    await replaceSecretFile(tokenFile, `${credentials.control_token}\n`);
  return credentials;
}
