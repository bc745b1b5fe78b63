import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, SignJWT, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { SwitchboardError } from '#libs/errors';
import { Claims, type Scope } from './claims.js';

export interface MintRequest {
  sub: string;
  accounts: '*' | string[];
  scope: Scope;
  ttlSeconds: number;
}

/** The `aud` and `iss` tokens must carry, when the operator sets them (SWITCHBOARD_JWT_AUDIENCE / _ISSUER). */
export interface TokenBinding {
  audience?: string | undefined;
  issuer?: string | undefined;
}

export interface MintedToken {
  token: string;
  /** Its id, by which `switchboard token revoke` takes it back. */
  jti: string;
}

/** Mints an API token signed HS256 with the server secret (what `switchboard token create` does). */
export async function mintToken(secret: Uint8Array, request: MintRequest, binding: TokenBinding = {}): Promise<MintedToken> {
  const jti = randomUUID();
  const jwt = new SignJWT({ accounts: request.accounts, scope: request.scope })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(request.sub)
    .setJti(jti)
    .setIssuedAt()
    .setExpirationTime(`${request.ttlSeconds}s`);
  if (binding.audience) jwt.setAudience(binding.audience);
  if (binding.issuer) jwt.setIssuer(binding.issuer);
  return { token: await jwt.sign(secret), jti };
}

/** How tokens are verified: the server secret (HS256, the default), or public keys (RS256 / EdDSA) from a JWKS. */
export type VerificationKeys = { kind: 'secret'; secret: Uint8Array } | { kind: 'jwks'; jwks: JSONWebKeySet | URL };

export type TokenVerifier = (token: string) => Promise<Claims>;

function reason(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the token has expired';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'the token is not signed with an accepted algorithm';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the token signature does not verify';
  if (err instanceof errors.JWTClaimValidationFailed) return `the token claim "${err.claim}" is not valid`;
  return 'the token is not a valid JWT';
}

export interface VerifierOptions extends TokenBinding {
  /** True for the id of a token taken back (`switchboard token revoke`). */
  isRevoked?: (jti: string) => boolean;
}

/**
 * Verifies bearer tokens with jose, accepting only the expected algorithms (so `alg: none` and an
 * HS256 token made with a public key as the secret are refused), the configured audience and
 * issuer, the claims schema (which asks for a `jti`), and no revoked id.
 */
export function tokenVerifier(keys: VerificationKeys, options: VerifierOptions = {}): TokenVerifier {
  const checks = {
    requiredClaims: ['exp', 'sub', 'jti'],
    ...(options.audience ? { audience: options.audience } : {}),
    ...(options.issuer ? { issuer: options.issuer } : {}),
  };
  const verify =
    keys.kind === 'secret'
      ? (token: string) => jwtVerify(token, keys.secret, { algorithms: ['HS256'], ...checks })
      : (() => {
          const keySet: JWTVerifyGetKey = keys.jwks instanceof URL ? createRemoteJWKSet(keys.jwks) : createLocalJWKSet(keys.jwks);
          return (token: string) => jwtVerify(token, keySet, { algorithms: ['RS256', 'EdDSA'], ...checks });
        })();
  return async (token) => {
    let payload: unknown;
    try {
      ({ payload } = await verify(token));
    } catch (err) {
      throw new SwitchboardError('unauthorized', reason(err));
    }
    const claims = Claims.safeParse(payload);
    if (!claims.success)
      throw new SwitchboardError('unauthorized', `the token's claims are not valid: ${claims.error.issues[0]?.path.join('.')}`);
    if (options.isRevoked?.(claims.data.jti)) throw new SwitchboardError('unauthorized', 'the token has been revoked');
    return claims.data;
  };
}
