import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export function serverSecretFile(dataDir: string): string {
  return path.join(dataDir, 'auth', 'jwt-secret');
}

/** The secret a server keeps in the data directory (or the environment's), if there is one yet. */
export async function readServerSecret(dataDir: string, fromEnv: string | undefined): Promise<Uint8Array | undefined> {
  if (fromEnv) return new TextEncoder().encode(fromEnv);
  try {
    return new TextEncoder().encode((await readFile(serverSecretFile(dataDir), 'utf8')).trim());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The HS256 secret API tokens are signed with: from the environment when given, else kept in the
 * data directory (mode 0600), generated on first start. `created` says it was just made.
 */
export async function loadOrCreateServerSecret(
  dataDir: string,
  fromEnv: string | undefined,
): Promise<{ secret: Uint8Array; created: boolean }> {
  const existing = await readServerSecret(dataDir, fromEnv);
  if (existing) return { secret: existing, created: false };
  const file = serverSecretFile(dataDir);
  const secret = randomBytes(32).toString('base64url');
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // wx: two processes starting at once must not overwrite each other's secret.
  try {
    await writeFile(file, secret, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return loadOrCreateServerSecret(dataDir, undefined);
  }
  return { secret: new TextEncoder().encode(secret), created: true };
}
