import { readFile } from 'node:fs/promises';
import { loadOrCreateServerSecret, mintToken, tokenVerifier, type TokenVerifier } from '../../libs/auth/index.js';
import type { Settings } from '../../libs/config/index.js';

export interface ApiAuth {
  verify: TokenVerifier;
  /** Minted when the server secret was just generated (the first start): printed once. */
  firstOperatorToken: string | undefined;
}

const OPERATOR_TOKEN_TTL_S = 30 * 24 * 3600;

/**
 * Token verification for the API: the JWKS when one is configured (tokens from an identity
 * provider), otherwise HS256 with the server secret, generated on first start.
 */
export async function setUpApiAuth(settings: Settings): Promise<ApiAuth> {
  const { jwks, jwtSecret } = settings.auth;
  if (jwks) {
    const source = /^https?:\/\//.test(jwks) ? new URL(jwks) : JSON.parse(await readFile(jwks, 'utf8'));
    return { verify: tokenVerifier({ kind: 'jwks', jwks: source }), firstOperatorToken: undefined };
  }
  const { secret, created } = await loadOrCreateServerSecret(settings.dataDir, jwtSecret);
  const firstOperatorToken = created
    ? await mintToken(secret, { sub: 'operator', accounts: '*', scope: 'admin', ttlSeconds: OPERATOR_TOKEN_TTL_S })
    : undefined;
  return { verify: tokenVerifier({ kind: 'secret', secret }), firstOperatorToken };
}
