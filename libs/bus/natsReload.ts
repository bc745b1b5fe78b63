import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { SwitchboardError } from '#libs/errors';

/** A nats-server this data directory started, found by the pid and ports files it wrote. */
export interface RunningNatsServer {
  pid: number;
  /** Its monitoring endpoint, where /varz tells when it last loaded its config; unknown without one. */
  monitorUrl: string | undefined;
}

const PortsFile = z.object({ monitoring: z.array(z.string()).optional() });
const Varz = z.object({ config_load_time: z.string() });

/** A reload checks every connected client's password again (bcrypt, about 0.1 s each): many take a while. */
const RELOAD_TIMEOUT_MS = 60_000;
/** Without a monitoring endpoint a reload cannot be watched: a small config's takes milliseconds. */
const UNWATCHED_RELOAD_MS = 1000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function readOrUndefined(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The running nats-server whose pid file is `pidFile`, if it still runs. */
export async function runningNatsServer(pidFile: string, portsFileDir: string): Promise<RunningNatsServer | undefined> {
  const pid = Number((await readOrUndefined(pidFile))?.trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  // nats-server names it after its executable: nats-server_<pid>.ports, usually.
  const portsFile = (await readdir(portsFileDir)).find((name) => name.endsWith(`_${pid}.ports`));
  const ports = portsFile ? PortsFile.parse(JSON.parse(await readFile(path.join(portsFileDir, portsFile), 'utf8'))) : undefined;
  return { pid, monitorUrl: ports?.monitoring?.[0] };
}

async function configLoadTime(monitorUrl: string): Promise<string> {
  const response = await fetch(`${monitorUrl}/varz`);
  if (!response.ok) throw new SwitchboardError('unavailable', `nats-server's ${monitorUrl}/varz answered ${response.status}`);
  return Varz.parse(await response.json()).config_load_time;
}

/** SIGHUP, then waits until the server shows it loaded its config again. */
async function reloadOnce(server: RunningNatsServer): Promise<void> {
  const before = server.monitorUrl && (await configLoadTime(server.monitorUrl));
  process.kill(server.pid, 'SIGHUP');
  if (!server.monitorUrl) return void (await sleep(UNWATCHED_RELOAD_MS));
  const deadline = Date.now() + RELOAD_TIMEOUT_MS;
  while ((await configLoadTime(server.monitorUrl)) === before) {
    if (Date.now() > deadline) {
      throw new SwitchboardError(
        'unavailable',
        `nats-server (pid ${server.pid}) did not reload its config in ${RELOAD_TIMEOUT_MS / 1000} s: its log says why (it keeps the config it had)`,
      );
    }
    await sleep(50);
  }
}

/**
 * Has the running nats-server reload its config, twice, one after the other: nats-server 2.9
 * (before 2.10.0) sets up the service import of an account a reload adds only at the next reload
 * (reloadAuthorization subscribes the imports of the accounts it had before), so a new source's
 * publishes would find no one until then. Signals sent at once would merge into one reload.
 */
export async function reloadNatsConfig(server: RunningNatsServer): Promise<void> {
  await reloadOnce(server);
  await reloadOnce(server);
}
