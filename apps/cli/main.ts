import { parseArgs } from 'node:util';
import { errorMessage, isSwitchboardError } from '../../libs/errors/index.js';
import { escalate } from './escalate.js';
import { CliFailure, EXIT } from './exitCodes.js';

const USAGE = `switchboard: the command line of Switchboard

  switchboard escalate --config sample.json --message "Server is about to melt!" [--dry-run]
      Runs one escalation from a config in the Vonage tutorial's format (or the lower-case one)
      against the running server, printing each send and status as it happens. Exits 0 when
      someone read it, 1 when it was exhausted (or cancelled), 2 on a bad config, 3 when the
      server cannot be reached. --dry-run validates and prints the plan; nothing is sent.

  Options: --account <key> (default cli), --server <url> (default SWITCHBOARD_URL or
  http://127.0.0.1:3000), --token <jwt> (default SWITCHBOARD_TOKEN).
`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      message: { type: 'string', short: 'm' },
      account: { type: 'string', default: 'cli' },
      server: { type: 'string', default: process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:3000' },
      token: { type: 'string', default: process.env.SWITCHBOARD_TOKEN },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command] = positionals;
  if (values.help || !command || command === 'help') {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  if (command !== 'escalate') throw new CliFailure(`unknown command "${command}"\n\n${USAGE}`, EXIT.badConfig);
  if (!values.config) throw new CliFailure('--config <file> is required', EXIT.badConfig);
  return escalate({
    configFile: values.config,
    message: values.message ?? 'Escalation from the switchboard CLI',
    account: values.account,
    dryRun: values['dry-run'],
    maxRepeat: Number(process.env.SWITCHBOARD_MAX_REPEAT ?? 10),
    server: { url: values.server.replace(/\/$/, ''), token: values.token },
    write: (line) => process.stdout.write(`${line}\n`),
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`switchboard: ${errorMessage(err)}\n`);
    const code = err instanceof CliFailure ? err.exitCode : isSwitchboardError(err, 'validation_failed') || err instanceof TypeError ? EXIT.badConfig : EXIT.unavailable;
    process.exit(code);
  },
);
