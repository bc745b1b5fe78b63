import { mintToken, readServerSecret, Scope, type MintedToken, type TokenBinding } from '#libs/auth';
import { Token } from '#libs/events';
import { CliFailure, EXIT } from './exitCodes.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `30d`, `12h`, `15m`, `90s` or a number of seconds. */
export function parseTtl(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match) throw new CliFailure(`--ttl ${text}: use a number of seconds or a duration such as 30d, 12h, 15m`, EXIT.badConfig);
  return Number(match[1]) * UNITS[match[2] || 's']!;
}

export interface TokenCreateOptions {
  account: string;
  scope: string;
  ttl: string;
  sub: string;
  dataDir: string;
  secretFromEnv: string | undefined;
  /** The audience and issuer the server asks of tokens (SWITCHBOARD_JWT_AUDIENCE / _ISSUER). */
  binding: TokenBinding;
}

/** Mints an API token with the server's secret (read from its data directory or SWITCHBOARD_JWT_SECRET). */
export async function createToken(options: TokenCreateOptions): Promise<MintedToken> {
  const accounts = options.account === '*' ? '*' : options.account.split(',');
  if (accounts !== '*') {
    for (const account of accounts) {
      if (!Token.safeParse(account).success)
        throw new CliFailure(`--account ${account}: not an account key (or * for every account)`, EXIT.badConfig);
    }
  }
  const scope = Scope.safeParse(options.scope);
  if (!scope.success) throw new CliFailure(`--scope ${options.scope}: use read, write or admin`, EXIT.badConfig);
  const secret = await readServerSecret(options.dataDir, options.secretFromEnv);
  if (!secret) {
    throw new CliFailure(
      `no server secret in ${options.dataDir}: start the server once (it makes one), or set SWITCHBOARD_JWT_SECRET / SWITCHBOARD_DATA_DIR`,
      EXIT.badConfig,
    );
  }
  return mintToken(secret, { sub: options.sub, accounts, scope: scope.data, ttlSeconds: parseTtl(options.ttl) }, options.binding);
}
