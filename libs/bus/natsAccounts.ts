/** Roles of bus users besides the server: a source publishes one account's events, a reader follows them. */
export const BUS_ROLES = ['source', 'reader'] as const;
export type BusRole = (typeof BUS_ROLES)[number];

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

/** Where a source's publishes arrive in Switchboard's account, for its bus ingest to check and store (libs/ingest). */
function ingestSubjects(account: string): string {
  return `ingest.${account}.>`;
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
type Import = { service: { account: string; subject: string }; to?: string } | { stream: { account: string; subject: string } };

interface NatsAccount {
  jetstream?: 'enabled';
  users: Array<{ user: string; password: string; permissions: Permissions | { publish: string; subscribe: string } }>;
  exports?: Export[];
  imports?: Import[];
}

/**
 * nats-server's `accounts` block, as nats.conf documents it. A source reaches Switchboard's
 * account through a service import, not a stream import: nats-server does not check a
 * publish's reply subject, and through a service import the reply is mapped back into the
 * source's own account, which has no JetStream, so a reply naming a JetStream API call, a bucket
 * key or another account's subject does nothing. The import maps the source's `events.<account>.…`
 * to `ingest.<account>.…`: the bus ingest checks each publish as the API checks a body and
 * stores it on EVENTS itself, with its dedupe key scoped to the account; readers then see it
 * there, with what Switchboard publishes, through one stream import.
 */
export function natsAccounts(server: ConfiguredUser, members: readonly BusMember[]): Record<string, NatsAccount> {
  const switchboard: NatsAccount & { exports: Export[] } = {
    jetstream: 'enabled',
    users: [{ user: server.user, password: server.password_hash, permissions: { publish: '>', subscribe: '>' } }],
    exports: [],
  };
  const accounts: Record<string, NatsAccount> = { [SERVER_ACCOUNT]: switchboard };
  for (const member of members) {
    const subject = eventSubjects(member.account);
    const name = natsAccountName(member.role, member.account);
    const users = [{ user: member.user, password: member.password_hash, permissions: permissionsFor(member.role, member.account) }];
    if (member.role === 'source') {
      const ingest = ingestSubjects(member.account);
      switchboard.exports.push({ service: ingest, accounts: [name] });
      accounts[name] = { users, imports: [{ service: { account: SERVER_ACCOUNT, subject: ingest }, to: subject }] };
    } else {
      switchboard.exports.push({ stream: subject, accounts: [name] });
      accounts[name] = { users, imports: [{ stream: { account: SERVER_ACCOUNT, subject } }] };
    }
  }
  return accounts;
}
