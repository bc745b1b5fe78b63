import { createHash, createSecretKey, randomUUID, timingSafeEqual, type KeyObject } from 'node:crypto';
import { SignJWT, errors, jwtVerify, type JWTPayload } from 'jose';

let lastKey: { secret: string; key: KeyObject } | undefined;

/** The HMAC key for a secret; a sender signs every webhook with the same one, so the last is kept. */
function hmacKey(secret: string): KeyObject {
  if (lastKey?.secret !== secret) lastKey = { secret, key: createSecretKey(Buffer.from(secret, 'utf8')) };
  return lastKey.key;
}

function payloadHash(rawBody: string | Buffer): string {
  return createHash('sha256').update(rawBody).digest('hex');
}

/** The bearer token Vonage puts on a signed webhook: HS256 over iat, jti, iss, api_key, application_id, payload_hash. */
export function signWebhook(rawBody: string, secret: string, claims: { applicationId?: string; apiKey?: string } = {}): Promise<string> {
  return new SignJWT({
    api_key: claims.apiKey,
    application_id: claims.applicationId,
    payload_hash: payloadHash(rawBody),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setJti(randomUUID())
    .setIssuer('Vonage')
    .sign(hmacKey(secret));
}

export type WebhookVerification = { ok: true } | { ok: false; reason: string };

function verifyFailure(err: unknown): string {
  if (err instanceof errors.JOSEAlgNotAllowed) return 'wrong alg: only HS256 signed webhooks are accepted';
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return 'bad signature: the token was not signed with this signature secret (wrong secret or forged token)';
  }
  if (err instanceof errors.JOSEError) return `invalid token: ${err.message}`;
  return 'invalid token';
}

function hashMatches(claimed: unknown, rawBody: string | Buffer): boolean {
  if (typeof claimed !== 'string' || !/^[0-9a-f]{64}$/i.test(claimed)) return false;
  return timingSafeEqual(Buffer.from(claimed.toLowerCase(), 'hex'), Buffer.from(payloadHash(rawBody), 'hex'));
}

/**
 * Checks a signed webhook: the HS256 signature with the signature secret, then that `iat` is
 * within the tolerance (default 300 s, either way), then that `payload_hash` is the SHA-256 of
 * the raw body as received.
 */
export async function verifyWebhookSignature(input: {
  authorization: string | undefined;
  rawBody: string | Buffer;
  secret: string;
  toleranceSeconds?: number;
}): Promise<WebhookVerification> {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(input.authorization ?? '')?.[1];
  if (!token) return { ok: false, reason: 'missing bearer token: the Authorization header must be "Bearer <jwt>"' };

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, hmacKey(input.secret), { algorithms: ['HS256'] }));
  } catch (err) {
    return { ok: false, reason: verifyFailure(err) };
  }

  const tolerance = input.toleranceSeconds ?? 300;
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.iat !== 'number') return { ok: false, reason: 'iat missing: the token does not say when it was signed' };
  if (Math.abs(now - payload.iat) > tolerance) {
    return { ok: false, reason: `iat outside tolerance: signed ${now - payload.iat} s ago, more than ${tolerance} s from now (replayed or clock skew)` };
  }
  if (!hashMatches(payload.payload_hash, input.rawBody)) {
    return { ok: false, reason: 'payload_hash mismatch: the body is not the one that was signed' };
  }
  return { ok: true };
}
