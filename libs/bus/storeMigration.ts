import { rename, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '#libs/logger';
import { SERVER_ACCOUNT } from './natsAccounts.js';

/** nats-server's global account, where every connection went before Switchboard configured NATS accounts. */
const GLOBAL_ACCOUNT = '$G';

/** Where JetStream keeps an account's streams: `<store_dir>/jetstream/<account>`. */
function accountStore(storeDir: string, account: string): string {
  return path.join(storeDir, 'jetstream', account);
}

async function exists(dir: string): Promise<boolean> {
  try {
    await stat(dir);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** True while the store holds an earlier version's streams, in the global account, and none in Switchboard's. */
export async function globalAccountStorePending(storeDir: string): Promise<boolean> {
  return (await exists(accountStore(storeDir, GLOBAL_ACCOUNT))) && !(await exists(accountStore(storeDir, SERVER_ACCOUNT)));
}

/**
 * Moves the streams an earlier version kept in the global account into Switchboard's account,
 * where the server user now is: nats-server finds an account's streams by their directory, so a
 * rename (before it starts) keeps every stream, message and consumer.
 */
export async function moveGlobalAccountStore(storeDir: string, log: Logger): Promise<void> {
  if (!(await globalAccountStorePending(storeDir))) return;
  const from = accountStore(storeDir, GLOBAL_ACCOUNT);
  const to = accountStore(storeDir, SERVER_ACCOUNT);
  await rename(from, to);
  log.info({ from, to }, `moved the JetStream store of the global account into the ${SERVER_ACCOUNT} account`);
}
