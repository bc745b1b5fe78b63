import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { ApplicationKeys } from '#libs/vonage-sim';
import { isSwitchboardError } from '#libs/errors';
import { ApplicationJwtSigner, signApplicationJwt } from '#libs/vonage';
import { rsaKeyPair } from './fixtures.js';

const APP_ID = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';
const keys = rsaKeyPair();
const otherKeys = rsaKeyPair();
const verifier = new ApplicationKeys([{ applicationId: APP_ID, publicKey: keys.publicKey }]);

describe('application JWT', () => {
  it('carries application_id, iat, jti and a 15 minute exp, signed RS256', async () => {
    const token = await signApplicationJwt({ applicationId: APP_ID, privateKey: keys.privateKey });
    const claims = decodeJwt(token);
    expect(decodeProtectedHeader(token).alg).toBe('RS256');
    expect(claims.application_id).toBe(APP_ID);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(Math.abs((claims.iat ?? 0) - Date.now() / 1000)).toBeLessThan(5);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(900);
    const second = decodeJwt(await signApplicationJwt({ applicationId: APP_ID, privateKey: keys.privateKey }));
    expect(second.jti).not.toBe(claims.jti);
  });

  it('round-trips: the public key of the application verifies it', async () => {
    const token = await signApplicationJwt({ applicationId: APP_ID, privateKey: keys.privateKey }, { ttlSeconds: 60 });
    expect(await verifier.verify(`Bearer ${token}`)).toEqual({ ok: true, applicationId: APP_ID });
  });

  it('is refused when signed with another key, for an unknown application, or missing', async () => {
    const forged = await signApplicationJwt({ applicationId: APP_ID, privateKey: otherKeys.privateKey });
    const wrongKey = await verifier.verify(`Bearer ${forged}`);
    expect(wrongKey).toMatchObject({ ok: false });
    expect(wrongKey.ok || wrongKey.detail).toMatch(/not signed with the private key/);

    const unknown = await signApplicationJwt({ applicationId: 'someone-else', privateKey: keys.privateKey });
    expect(await verifier.verify(`Bearer ${unknown}`)).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/Unknown application_id/),
    });
    expect(await verifier.verify(undefined)).toMatchObject({ ok: false, detail: expect.stringMatching(/Missing bearer/) });
  });

  it('refuses lifetimes beyond 24 hours and keys that are not RSA PEM', async () => {
    const creds = { applicationId: APP_ID, privateKey: keys.privateKey };
    await expect(signApplicationJwt(creds, { ttlSeconds: 86_400 })).resolves.toBeTypeOf('string');
    await expect(signApplicationJwt(creds, { ttlSeconds: 86_401 })).rejects.toThrow(/24 h/);
    const error: unknown = await signApplicationJwt({ applicationId: APP_ID, privateKey: 'private.key' }).catch((err: unknown) => err);
    expect(isSwitchboardError(error, 'validation_failed')).toBe(true);
    expect(String(error)).toMatch(/not a readable PEM key/);
  });

  it('signer reuses its token while fresh instead of signing every request', async () => {
    const signer = new ApplicationJwtSigner({ applicationId: APP_ID, privateKey: keys.privateKey });
    const first = await signer.token();
    expect(await signer.token()).toBe(first);
    expect(await verifier.verify(`Bearer ${first}`)).toEqual({ ok: true, applicationId: APP_ID });
  });
});
