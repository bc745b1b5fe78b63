import { createPublicKey, type KeyObject } from 'node:crypto';
import { decodeJwt, errors, jwtVerify } from 'jose';
import { SwitchboardError, errorMessage } from '#libs/errors';

export interface SimApplication {
  applicationId: string;
  /** SPKI PEM: the public half of the key the application signs its JWTs with. */
  publicKey: string;
}

export type ApplicationAuth = { ok: true; applicationId: string } | { ok: false; detail: string };

const MAX_LIFETIME_SECONDS = 24 * 60 * 60;
/** Clients reuse a token for minutes; past this many distinct ones the cache starts over. */
const MAX_CACHED_TOKENS = 1000;

/** The applications the simulator knows, and the check Vonage makes on an application JWT. */
export class ApplicationKeys {
  private readonly keys = new Map<string, KeyObject>();
  /** Tokens already verified, until they expire: an RSA check per request would dominate the simulator's CPU. */
  private readonly verified = new Map<string, { applicationId: string; expiresAt: number }>();

  constructor(applications: readonly SimApplication[]) {
    for (const app of applications) {
      try {
        this.keys.set(app.applicationId, createPublicKey(app.publicKey));
      } catch (err) {
        throw new SwitchboardError(
          'validation_failed',
          `public key of application ${app.applicationId} is not a PEM public key`,
          undefined,
          {
            cause: err,
          },
        );
      }
    }
  }

  get applicationIds(): string[] {
    return [...this.keys.keys()];
  }

  /** Checks `Authorization: Bearer <jwt>`: RS256, signed by the key of the application it names, in date. */
  async verify(authorization: string | undefined): Promise<ApplicationAuth> {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (!token) return { ok: false, detail: 'Missing bearer token: send Authorization: Bearer <application JWT>' };
    const known = this.verified.get(token);
    if (known && known.expiresAt > Date.now() / 1000) return { ok: true, applicationId: known.applicationId };
    let applicationId: unknown;
    try {
      applicationId = decodeJwt(token).application_id;
    } catch {
      return { ok: false, detail: 'The bearer token is not a JWT' };
    }
    if (typeof applicationId !== 'string') return { ok: false, detail: 'The JWT has no application_id claim' };
    const key = this.keys.get(applicationId);
    if (!key) return { ok: false, detail: `Unknown application_id "${applicationId}"` };
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['RS256'],
        requiredClaims: ['iat', 'jti', 'application_id'],
        maxTokenAge: MAX_LIFETIME_SECONDS,
      });
      const issuedAt = payload.iat ?? 0;
      if (payload.exp !== undefined && payload.exp - issuedAt > MAX_LIFETIME_SECONDS) {
        return { ok: false, detail: 'The JWT lives longer than 24 hours' };
      }
      if (this.verified.size >= MAX_CACHED_TOKENS) this.verified.clear();
      this.verified.set(token, { applicationId, expiresAt: payload.exp ?? issuedAt + MAX_LIFETIME_SECONDS });
    } catch (err) {
      if (err instanceof errors.JWSSignatureVerificationFailed) {
        return { ok: false, detail: `The JWT is not signed with the private key of application ${applicationId}` };
      }
      return { ok: false, detail: `Invalid JWT: ${errorMessage(err)}` };
    }
    return { ok: true, applicationId };
  }
}
