import { readFile } from 'node:fs/promises';
import { BUS_ROLES, busUsersOf, inboxPrefix, permissionsFor, type BusRole } from '../../libs/bus/index.js';
import { CliFailure, EXIT } from './exitCodes.js';

export interface BusAddUserOptions {
  account: string;
  role: string;
  dataDir: string;
  projectConf: string;
  serverPassword: string | undefined;
  write(line: string): void;
}

/** The running nats-server started from this data directory, if any: it reloads its users on SIGHUP. */
async function runningServerPid(pidFile: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Adds a bus user for an account's role, prints its password once, and has nats-server take it. */
export async function busAddUser(options: BusAddUserOptions): Promise<number> {
  if (!(BUS_ROLES as readonly string[]).includes(options.role)) throw new CliFailure(`--role ${options.role}: use ${BUS_ROLES.join(' or ')}`, EXIT.badConfig);
  const role = options.role as BusRole;
  const users = busUsersOf(options.dataDir);
  const { user, password } = await users.add(options.account, role);
  await users.writeServerConfig(options.projectConf, await users.serverPassword(options.serverPassword));
  const pid = await runningServerPid(users.pidFile);
  if (pid) process.kill(pid, 'SIGHUP');
  const permissions = permissionsFor(role, options.account);
  options.write(`user      ${user}`);
  options.write(`password  ${password}   (shown once)`);
  options.write(`may       publish ${JSON.stringify(permissions.publish)}, subscribe ${JSON.stringify(permissions.subscribe)}`);
  options.write(`connect   { user: '${user}', pass: '<password>', inboxPrefix: '${inboxPrefix(role, options.account)}' }`);
  options.write(pid ? `nats-server (pid ${pid}) reloaded its users.` : 'The users apply when the server next starts nats-server.');
  return 0;
}
