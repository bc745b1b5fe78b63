import { parseArgs } from 'node:util';
import { loadSettings, type Settings } from '#libs/config';
import { errorMessage, isSwitchboardError, validationFailed } from '#libs/errors';
import { createLogger } from '#libs/logger';
import { pollAnswerParser } from './pollAnswer.js';
import { loadPollDefinition } from './pollDefinition.js';
import { openPollRuntime } from './pollRuntime.js';
import { startPollServer } from './pollServer.js';
import { loadPollSettings } from './pollSettings.js';

const USAGE = `usage:
  npm run poll                  run the poll's HTTP worker (same as: npm run poll -- serve)
  npm run poll -- answer --msisdn <number> --answer <question>=<value> [--answer ...] [--name <name>] [--poll <key>]
                                record answers through NATS; publishes poll_complete when the last one is in
environment: POLL_FILE (default apps/poll/ops-poll.json), POLL_PORT (3200), HOST, NATS_URL, LOG_LEVEL
exit status: 0 done, 2 bad input, 1 anything else`;

/** Exit statuses: 2 is the caller's input, so scripts can tell it from an outage. */
const EXIT_BAD_INPUT = 2;

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** `name=Ann` → ['name', 'Ann']; the value may itself hold "=". */
function answerPairs(raw: string[]): Record<string, string> {
  return Object.fromEntries(
    raw.map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0) throw validationFailed([{ path: 'answer', message: `expected <question>=<value>, got "${pair}"` }]);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

async function answer(args: string[], settings: Settings, env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      poll: { type: 'string' },
      msisdn: { type: 'string' },
      name: { type: 'string' },
      answer: { type: 'string', multiple: true },
    },
  });
  const poll = await loadPollDefinition(loadPollSettings(env).file);
  if (values.poll !== undefined && values.poll !== poll.key) {
    throw validationFailed([{ path: 'poll', message: `no poll "${values.poll}": POLL_FILE defines "${poll.key}"` }]);
  }
  const input = pollAnswerParser(poll)({ msisdn: values.msisdn, name: values.name, answers: answerPairs(values.answer ?? []) });

  // The output is for people: logs only when LOG_LEVEL asks for them.
  const log = createLogger({ level: env.LOG_LEVEL ? settings.logLevel : 'warn', name: 'poll' });
  const runtime = await openPollRuntime({ settings, poll, log });
  try {
    const outcome = await runtime.sessions.answer(input);
    const where = `poll ${poll.key}, ${input.msisdn}, session ${outcome.session}`;
    out(
      outcome.complete
        ? `${where}: complete; published poll_complete ${outcome.event_id}`
        : `${where}: recorded; still to answer: ${outcome.remaining.join(', ')}`,
    );
    return 0;
  } finally {
    await runtime.close();
  }
}

async function serve(settings: Settings, env: NodeJS.ProcessEnv): Promise<number> {
  const log = createLogger({ level: settings.logLevel, name: 'poll' });
  const running = await startPollServer({ settings, pollSettings: loadPollSettings(env), log });
  const base = `${running.url}/polls/${running.poll.key}`;
  out(`Poll "${running.poll.key}" (account ${running.poll.account_key}) is taking answers`);
  out(`  HTTP   GET ${base}   POST ${base}/answers`);
  out(`  NATS   ${running.natsUrl}${running.startedNats ? '   (started from nats.conf)' : ''}`);
  out('  Ctrl-C stops it.');
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  log.info({ signal }, 'stopping');
  await running.stop();
  return 0;
}

/** Runs a command line (without node and the script) and resolves to the exit status. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command = 'serve', ...args] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    out(USAGE);
    return 0;
  }
  if (command !== 'serve' && command !== 'answer') {
    process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
    return EXIT_BAD_INPUT;
  }
  try {
    const settings = loadSettings(env);
    return command === 'answer' ? await answer(args, settings, env) : await serve(settings, env);
  } catch (err) {
    // parseArgs reports unknown or incomplete options with ERR_PARSE_ARGS_* codes.
    const badOptions = String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`${errorMessage(err)}\n${badOptions ? `${USAGE}\n` : ''}`);
    return badOptions || isSwitchboardError(err, 'validation_failed') ? EXIT_BAD_INPUT : 1;
  }
}
