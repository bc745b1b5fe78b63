import { createHash, createHmac, randomUUID, timingSafeEqual, webcrypto } from 'node:crypto';
import { errors, jwtVerify, type JWTPayload } from 'jose';

let lastKey: { secret: string; key: Promise<webcrypto.CryptoKey> } | undefined;

/**
 * The HMAC key for a secret, imported once: jose would import a raw secret again on every call,
 * and a receiver checks every webhook with the same secret, so the last one is kept.
 */
function hmacKey(secret: string): Promise<webcrypto.CryptoKey> {
  if (lastKey?.secret !== secret) {
    const raw = new TextEncoder().encode(secret);
    lastKey = { secret, key: webcrypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']) };
  }
  return lastKey.key;
}

function payloadHash(rawBody: string | Buffer): string {
  return createHash('sha256').update(rawBody).digest('hex');
}

const HS256_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/**
 * The bearer token Vonage puts on a signed webhook: HS256 over iat, jti, iss, api_key,
 * application_id and payload_hash. Signed with node:crypto rather than jose: a sender signs every
 * webhook, and WebCrypto's HMAC costs a thread-pool round trip each time.
 */
export async function signWebhook(rawBody: string, secret: string, claims: { applicationId?: string; apiKey?: string } = {}): Promise<string> {
  const payload = {
    iat: Math.floor(Date.now() / 1000),
    jti: randomUUID(),
    iss: 'Vonage',
    api_key: claims.apiKey,
    application_id: claims.applicationId,
    payload_hash: payloadHash(rawBody),
  };
  const signingInput = `${HS256_HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
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
  if (!input.secret) return { ok: false, reason: 'no signature secret configured to verify with' };
  const token = /^Bearer\s+(\S+)\s*$/i.exec(input.authorization ?? '')?.[1];
  if (!token) return { ok: false, reason: 'missing bearer token: the Authorization header must be "Bearer <jwt>"' };

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, await hmacKey(input.secret), { algorithms: ['HS256'] }));
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
