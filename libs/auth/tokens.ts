import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, SignJWT, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { SwitchboardError } from '../errors/index.js';
import { Claims, type Scope } from './claims.js';

export interface MintRequest {
  sub: string;
  accounts: '*' | string[];
  scope: Scope;
  ttlSeconds: number;
}

/** Mints an API token signed HS256 with the server secret (what `switchboard token create` does). */
export function mintToken(secret: Uint8Array, request: MintRequest): Promise<string> {
  return new SignJWT({ accounts: request.accounts, scope: request.scope })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(request.sub)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${request.ttlSeconds}s`)
    .sign(secret);
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

/**
 * Verifies bearer tokens with jose, accepting only the expected algorithms (so `alg: none` and an
 * HS256 token made with a public key as the secret are refused) and the claims schema.
 */
export function tokenVerifier(keys: VerificationKeys): TokenVerifier {
  const verify =
    keys.kind === 'secret'
      ? (token: string) => jwtVerify(token, keys.secret, { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] })
      : (() => {
          const keySet: JWTVerifyGetKey = keys.jwks instanceof URL ? createRemoteJWKSet(keys.jwks) : createLocalJWKSet(keys.jwks);
          return (token: string) => jwtVerify(token, keySet, { algorithms: ['RS256', 'EdDSA'], requiredClaims: ['exp', 'sub'] });
        })();
  return async (token) => {
    let payload: unknown;
    try {
      ({ payload } = await verify(token));
    } catch (err) {
      throw new SwitchboardError('unauthorized', reason(err));
    }
    const claims = Claims.safeParse(payload);
    if (!claims.success) throw new SwitchboardError('unauthorized', `the token's claims are not valid: ${claims.error.issues[0]?.path.join('.')}`);
    return claims.data;
  };
}
