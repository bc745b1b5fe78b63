import type { BusRole } from './busUsers.js';

/** The NATS account Switchboard's own user lives in: the only one with JetStream, so every stream and bucket is here. */
export const SERVER_ACCOUNT = 'SWITCHBOARD';

/** The NATS account a bus user lives in, alone: SOURCE_acme, READER_acme. */
export function natsAccountName(role: BusRole, account: string): string {
  return `${role.toUpperCase()}_${account}`;
}

/** An account's events: what its source publishes and its reader follows. */
function eventSubjects(account: string): string {
  return `events.${account}.>`;
}

export interface Permissions {
  publish: string[] | { deny: string[] };
  subscribe: string[];
}

/**
 * The subjects a role may use, inside its own NATS account. `_INBOX.>` there holds only the
 * source's own inboxes (where its acknowledgements come back), so it needs no prefix of its own.
 */
export function permissionsFor(role: BusRole, account: string): Permissions {
  return role === 'source'
    ? { publish: [eventSubjects(account)], subscribe: ['_INBOX.>'] }
    : { publish: { deny: ['>'] }, subscribe: [eventSubjects(account)] };
}

/** A user as it goes into the config: a bcrypt hash, never a password. */
export interface ConfiguredUser {
  user: string;
  password_hash: string;
}

export interface BusMember extends ConfiguredUser {
  account: string;
  role: BusRole;
}

type Export = { service: string; accounts: string[] } | { stream: string; accounts: string[] };
type Import = { service: { account: string; subject: string } } | { stream: { account: string; subject: string } };

interface NatsAccount {
  jetstream?: 'enabled';
  users: Array<{ user: string; password: string; permissions: Permissions | { publish: string; subscribe: string } }>;
  exports?: Export[];
  imports?: Import[];
}

/**
 * nats-server's `accounts` block, as nats.conf documents it. A source reaches Switchboard's
 * account through a service import, not a stream import: nats-server does not check a
 * publish's reply subject, and JetStream sends its acknowledgement to that reply in the
 * account the message was stored in; through a service import the reply is mapped back into
 * the source's own account, which has no JetStream, so a reply naming a JetStream API call, a
 * bucket key or another account's subject does nothing. nats-server does not pass what came in
 * through a service import on to stream exports, so a reader imports its account's events from
 * the source's account as well as from Switchboard's.
 */
export function natsAccounts(server: ConfiguredUser, members: readonly BusMember[]): Record<string, NatsAccount> {
  const switchboard: NatsAccount & { exports: Export[] } = {
    jetstream: 'enabled',
    users: [{ user: server.user, password: server.password_hash, permissions: { publish: '>', subscribe: '>' } }],
    exports: [],
  };
  const accounts: Record<string, NatsAccount> = { [SERVER_ACCOUNT]: switchboard };
  const has = (role: BusRole, account: string) => members.some((one) => one.role === role && one.account === account);
  for (const member of members) {
    const subject = eventSubjects(member.account);
    const name = natsAccountName(member.role, member.account);
    const users = [{ user: member.user, password: member.password_hash, permissions: permissionsFor(member.role, member.account) }];
    if (member.role === 'source') {
      switchboard.exports.push({ service: subject, accounts: [name] });
      const reader = natsAccountName('reader', member.account);
      accounts[name] = {
        users,
        imports: [{ service: { account: SERVER_ACCOUNT, subject } }],
        ...(has('reader', member.account) ? { exports: [{ stream: subject, accounts: [reader] }] } : {}),
      };
    } else {
      switchboard.exports.push({ stream: subject, accounts: [name] });
      const source = natsAccountName('source', member.account);
      accounts[name] = {
        users,
        imports: [
          { stream: { account: SERVER_ACCOUNT, subject } },
          ...(has('source', member.account) ? [{ stream: { account: source, subject } }] : []),
        ],
      };
    }
  }
  return accounts;
}
