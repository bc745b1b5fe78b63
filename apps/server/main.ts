import path from 'node:path';
import { loadSettings } from '#libs/config';
import { errorMessage } from '#libs/errors';
import { createLogger } from '#libs/logger';
import { rolesFrom } from './args.js';
import { boundHeapGrowth } from './heapGrowth.js';
import { simControlTokenFile } from './simCredentials.js';
import { startSwitchboard } from './switchboard.js';

/** A path as a person would type it here: relative below the working directory, else absolute. */
function shortPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative;
}

async function main(): Promise<void> {
  const settings = loadSettings();
  boundHeapGrowth(settings.heapGrowthPercent);
  const log = createLogger({ level: settings.logLevel, name: 'switchboard' });
  const roles = rolesFrom(process.argv.slice(2));
  const running = await startSwitchboard({ settings, roles, log });

  const lines = [
    `Switchboard is running (roles: ${[...roles].join(', ')})`,
    running.url && `  HTTP API         ${running.url}   (try: curl ${running.url}/v1/handlers)`,
    `  NATS             ${running.natsUrl}${running.natsServer ? '   (started from nats.conf)' : ''}`,
    `  Vonage           ${running.provider.apiUrl}` +
      (running.provider.simulatorControlToken
        ? `   (local simulator; its /_sim/* control API needs -H "Authorization: Bearer $(cat ${shortPath(simControlTokenFile(settings.dataDir))})")`
        : ''),
    running.firstOperatorToken &&
      `  Operator token   ${running.firstOperatorToken.token}\n` +
        `                   (shown once, valid 24 h: export TOKEN=<it>, then mint lasting ones with npm run cli -- token create;\n` +
        `                    revoke it early with npm run cli -- token revoke ${running.firstOperatorToken.jti})`,
    '  Ctrl-C stops everything it started.',
  ].filter(Boolean);
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      log.warn('second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'stopping');
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'stopped with errors');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`switchboard could not start: ${errorMessage(err)}\n`);
  process.exit(1);
});
