import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { loadOrCreateServerSecret, mintToken, RevokedTokens, tokenVerifier, type MintedToken, type TokenVerifier } from '#libs/auth';
import type { KvBucket } from '#libs/bus';
import type { Settings } from '#libs/config';
import type { Logger } from '#libs/logger';

export interface ApiAuth {
  verify: TokenVerifier;
  revoked: RevokedTokens;
  /** Minted when the server secret was just generated (the first start): printed once. */
  firstOperatorToken: MintedToken | undefined;
}

/** A JWKS file: its keys are checked by jose when a token names one. */
const JwksFile = z.object({ keys: z.array(z.looseObject({ kty: z.string() })) });

/** The first start's operator token is for signing in once and minting proper tokens: it lasts a day. */
export const FIRST_OPERATOR_TOKEN_TTL_S = 24 * 3600;

/**
 * Token verification for the API: the JWKS when one is configured (tokens from an identity
 * provider), otherwise HS256 with the server secret, generated on first start; either way with
 * the configured audience and issuer, and refusing revoked token ids.
 */
export async function setUpApiAuth(settings: Settings, revocations: KvBucket, log: Logger): Promise<ApiAuth> {
  const { jwks, jwtSecret, audience, issuer } = settings.auth;
  const revoked = await RevokedTokens.start(revocations, log);
  const options = { audience, issuer, isRevoked: (jti: string) => revoked.has(jti) };
  if (jwks) {
    const source = /^https?:\/\//.test(jwks) ? new URL(jwks) : JwksFile.parse(JSON.parse(await readFile(jwks, 'utf8')));
    return { verify: tokenVerifier({ kind: 'jwks', jwks: source }, options), revoked, firstOperatorToken: undefined };
  }
  const { secret, created } = await loadOrCreateServerSecret(settings.dataDir, jwtSecret);
  const firstOperatorToken = created
    ? await mintToken(
        secret,
        { sub: 'operator', accounts: '*', scope: 'admin', ttlSeconds: FIRST_OPERATOR_TOKEN_TTL_S },
        { audience, issuer },
      )
    : undefined;
  return { verify: tokenVerifier({ kind: 'secret', secret }, options), revoked, firstOperatorToken };
}
