import {
  BUS_ROLES,
  busUsersOf,
  globalAccountStorePending,
  natsAccountName,
  natsStoreDirOf,
  permissionsFor,
  reloadNatsConfig,
  runningNatsServer,
  SERVER_ACCOUNT,
  type BusRole,
} from '#libs/bus';
import { CliFailure, EXIT } from './exitCodes.js';

export interface BusAddUserOptions {
  account: string;
  role: string;
  dataDir: string;
  projectConf: string;
  serverPassword: string | undefined;
  write: (line: string) => void;
}

/** What the user's NATS account is, and where its events come from or go. */
function accountLine(role: BusRole, account: string): string {
  const own = natsAccountName(role, account);
  return role === 'source'
    ? `${own}, its own: publishes into ${SERVER_ACCOUNT} through a service import, where Switchboard checks and stores each event (acknowledgements come back to its _INBOX)`
    : `${own}, its own: receives events.${account}.> (Switchboard's and its source's, once stored) through a stream import from ${SERVER_ACCOUNT}`;
}

/** Adds a bus user for an account's role (in a NATS account of its own), prints its password once, and has nats-server take it. */
export async function busAddUser(options: BusAddUserOptions): Promise<number> {
  if (!(BUS_ROLES as readonly string[]).includes(options.role))
    throw new CliFailure(`--role ${options.role}: use ${BUS_ROLES.join(' or ')}`, EXIT.badConfig);
  const role = options.role as BusRole;
  const users = busUsersOf(options.dataDir);
  const { user, password } = await users.add(options.account, role);
  await users.writeServerConfig(options.projectConf, await users.serverPassword(options.serverPassword));
  // Printed before the reload, which may fail: the password is not kept anywhere else.
  const permissions = permissionsFor(role, options.account);
  options.write(`user      ${user}`);
  options.write(`password  ${password}   (shown once)`);
  options.write(`account   ${accountLine(role, options.account)}`);
  options.write(`may       publish ${JSON.stringify(permissions.publish)}, subscribe ${JSON.stringify(permissions.subscribe)}`);
  options.write(`connect   { servers: '<NATS_URL>', user: '${user}', pass: '<password>' }`);
  const server = await runningNatsServer(users.pidFile, users.portsFileDir);
  if (!server) {
    options.write('The user applies when the server next starts nats-server.');
  } else if (await globalAccountStorePending(natsStoreDirOf(options.dataDir))) {
    // That server runs the layout before NATS accounts: reloading this config would leave its
    // streams behind in the global account. Starting again moves them first.
    options.write(
      `nats-server (pid ${server.pid}) runs without NATS accounts: restart Switchboard, which moves its streams into ${SERVER_ACCOUNT}; the user applies then.`,
    );
  } else {
    await reloadNatsConfig(server);
    options.write(`nats-server (pid ${server.pid}) reloaded its config: the user and its account apply now.`);
  }
  return 0;
}
