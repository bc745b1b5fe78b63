import path from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage, isSwitchboardError } from '#libs/errors';
import { readServerSecret } from '#libs/auth';
import { busAddUser } from './busAddUser.js';
import { escalate } from './escalate.js';
import { CliFailure, EXIT } from './exitCodes.js';
import { createToken } from './tokenCreate.js';
import { revokeToken } from './tokenRevoke.js';

const USAGE = `switchboard: the command line of Switchboard

  switchboard escalate --config sample.json --message "Server is about to melt!" [--dry-run]
      Runs one escalation from a config in the Vonage tutorial's format (or the lower-case one)
      against the running server, printing each send and status as it happens. Exits 0 when
      someone read it, 1 when it was exhausted (or cancelled), 2 on a bad config, 3 when the
      server cannot be reached. --dry-run validates and prints the plan; nothing is sent.

  Options: --account <key> (default cli), --server <url> (default SWITCHBOARD_URL or
  http://127.0.0.1:3000), --token <jwt> (default SWITCHBOARD_TOKEN; else one is minted from the
  local server's secret in SWITCHBOARD_DATA_DIR, default ./.data).

  switchboard bus add-user --account acme --role source|reader
      Adds a NATS user for an account, alone in a NATS account of its own (SOURCE_acme,
      READER_acme): a source may publish only events.<account>.> (acknowledged on its own
      _INBOX), a reader may only subscribe to them. Prints the password once; a running
      nats-server started by Switchboard from this data directory reloads and takes it at once.

  switchboard token create --account acme --scope write --ttl 30d [--sub name]
      Mints an API token signed with the server's secret. --account takes one or more account
      keys (comma-separated) or * for an operator; --scope is read, write or admin. Prints the
      token on stdout and its id (jti) on stderr.

  switchboard token revoke <jti or token> [--reason text]
      Takes a token back: the running server refuses it from then on. Needs an operator's token
      (--token or SWITCHBOARD_TOKEN; else one is minted from the local server's secret).
`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      message: { type: 'string', short: 'm' },
      account: { type: 'string' },
      server: { type: 'string', default: process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:3000' },
      token: { type: 'string', default: process.env.SWITCHBOARD_TOKEN },
      'dry-run': { type: 'boolean', default: false },
      scope: { type: 'string', default: 'read' },
      ttl: { type: 'string', default: '30d' },
      sub: { type: 'string', default: 'cli' },
      role: { type: 'string' },
      reason: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command] = positionals;
  if (values.help || !command || command === 'help') {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  const dataDir = process.env.SWITCHBOARD_DATA_DIR ?? './.data';
  const secretFromEnv = process.env.SWITCHBOARD_JWT_SECRET;
  const binding = { audience: process.env.SWITCHBOARD_JWT_AUDIENCE, issuer: process.env.SWITCHBOARD_JWT_ISSUER };
  const server = values.server.replace(/\/$/, '');
  /** The --token given, or, for a local user of the local server, a short one minted from its secret. */
  const tokenFor = async (account: string, scope: 'write' | 'admin', ttl: string) =>
    values.token ||
    ((await readServerSecret(dataDir, secretFromEnv))
      ? (await createToken({ account, scope, ttl, sub: 'cli', dataDir, secretFromEnv, binding })).token
      : undefined);
  if (command === 'token' && positionals[1] === 'create') {
    if (!values.account) throw new CliFailure('--account <key> is required (or * for every account)', EXIT.badConfig);
    const minted = await createToken({
      account: values.account,
      scope: values.scope,
      ttl: values.ttl,
      sub: values.sub,
      dataDir,
      secretFromEnv,
      binding,
    });
    process.stdout.write(`${minted.token}\n`);
    process.stderr.write(`jti ${minted.jti}   (revoke it with: switchboard token revoke ${minted.jti})\n`);
    return 0;
  }
  if (command === 'token' && positionals[1] === 'revoke') {
    if (!positionals[2]) throw new CliFailure('usage: switchboard token revoke <jti or token> [--reason text]', EXIT.badConfig);
    return revokeToken({
      target: positionals[2],
      reason: values.reason,
      server: { url: server, token: await tokenFor('*', 'admin', '5m') },
      write: (line) => process.stdout.write(`${line}\n`),
    });
  }
  if (command === 'token') throw new CliFailure('usage: switchboard token create|revoke …', EXIT.badConfig);
  if (command === 'bus') {
    if (positionals[1] !== 'add-user' || !values.account || !values.role) {
      throw new CliFailure('usage: switchboard bus add-user --account <key> --role <source|reader>', EXIT.badConfig);
    }
    return busAddUser({
      account: values.account,
      role: values.role,
      dataDir,
      projectConf: path.resolve(process.env.SWITCHBOARD_NATS_CONF ?? 'nats.conf'),
      serverPassword: process.env.SWITCHBOARD_NATS_PASSWORD,
      write: (line) => process.stdout.write(`${line}\n`),
    });
  }
  if (command !== 'escalate') throw new CliFailure(`unknown command "${command}"\n\n${USAGE}`, EXIT.badConfig);
  if (!values.config) throw new CliFailure('--config <file> is required', EXIT.badConfig);
  const account = values.account ?? 'cli';
  // An escalation is followed until it ends, which can take hours.
  const token = await tokenFor(account, 'write', '1d');
  return escalate({
    configFile: values.config,
    message: values.message ?? 'Escalation from the switchboard CLI',
    account,
    dryRun: values['dry-run'],
    maxRepeat: Number(process.env.SWITCHBOARD_MAX_REPEAT ?? 10),
    server: { url: server, token },
    write: (line) => process.stdout.write(`${line}\n`),
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`switchboard: ${errorMessage(err)}\n`);
    const code =
      err instanceof CliFailure
        ? err.exitCode
        : isSwitchboardError(err, 'validation_failed') || err instanceof TypeError
          ? EXIT.badConfig
          : EXIT.unavailable;
    process.exit(code);
  },
);
