import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

export const SimCredentials = z.object({
  application_id: z.string(),
  private_key: z.string(),
  public_key: z.string(),
  signature_secret: z.string(),
});

export type SimCredentials = z.infer<typeof SimCredentials>;

/**
 * The throwaway Vonage application the embedded simulator trusts: generated on first start and
 * kept in the data directory (mode 0600), so every process sharing that directory can use it.
 */
export async function loadOrCreateSimCredentials(dataDir: string): Promise<SimCredentials> {
  const file = path.join(dataDir, 'simulator', 'credentials.json');
  try {
    return SimCredentials.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const credentials: SimCredentials = {
    application_id: randomUUID(),
    private_key: privateKey,
    public_key: publicKey,
    signature_secret: randomBytes(32).toString('base64url'),
  };
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
  return credentials;
}
