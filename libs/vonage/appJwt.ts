import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { SwitchboardError } from '#libs/errors';

/** A Vonage application: its id and the private key Vonage generated for it (PEM). */
export interface ApplicationCredentials {
  applicationId: string;
  privateKey: string;
}

const DEFAULT_TTL_SECONDS = 15 * 60;
const MAX_TTL_SECONDS = 24 * 60 * 60;

function rsaPrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new SwitchboardError(
      'validation_failed',
      'the Vonage application private key is not a readable PEM key: use the private.key file Vonage generated for the application',
      undefined,
      { cause: err },
    );
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new SwitchboardError(
      'validation_failed',
      `the Vonage application private key is a ${key.asymmetricKeyType ?? 'non-RSA'} key: application JWTs are signed RS256, so use the RSA private.key Vonage generated`,
    );
  }
  return key;
}

function checkTtl(ttlSeconds: number): void {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TTL_SECONDS) {
    throw new SwitchboardError(
      'validation_failed',
      `application JWT lifetime must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS} (24 h), got ${ttlSeconds}`,
    );
  }
}

function sign(applicationId: string, key: KeyObject, ttlSeconds: number, nowSeconds: number): Promise<string> {
  return new SignJWT({ application_id: applicationId })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuedAt(nowSeconds)
    .setJti(randomUUID())
    .setExpirationTime(nowSeconds + ttlSeconds)
    .sign(key);
}

/** An application JWT (RS256: application_id, iat, jti, exp) for `Authorization: Bearer`. */
export async function signApplicationJwt(creds: ApplicationCredentials, opts: { ttlSeconds?: number } = {}): Promise<string> {
  const ttlSeconds = opts.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  checkTtl(ttlSeconds);
  return sign(creds.applicationId, rsaPrivateKey(creds.privateKey), ttlSeconds, Math.floor(Date.now() / 1000));
}

/**
 * Hands out application JWTs for a client, reusing one until a third of its lifetime is left:
 * Vonage accepts a token until it expires, and an RS256 signature per request would cost a
 * millisecond of CPU on every send.
 */
export class ApplicationJwtSigner {
  private readonly key: KeyObject;
  private cached: { token: Promise<string>; renewAt: number } | undefined;

  constructor(
    private readonly creds: ApplicationCredentials,
    private readonly ttlSeconds = DEFAULT_TTL_SECONDS,
  ) {
    checkTtl(ttlSeconds);
    this.key = rsaPrivateKey(creds.privateKey);
  }

  token(): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    if (!this.cached || now >= this.cached.renewAt) {
      this.cached = {
        token: sign(this.creds.applicationId, this.key, this.ttlSeconds, now),
        renewAt: now + Math.floor((this.ttlSeconds * 2) / 3),
      };
    }
    return this.cached.token;
  }
}
