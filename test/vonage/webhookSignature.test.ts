import { createHash, createPrivateKey } from 'node:crypto';
import { SignJWT, base64url } from 'jose';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature } from '#libs/vonage';
import { rsaKeyPair } from './fixtures.js';

const SECRET = 'signature-secret-of-the-account';
const body = JSON.stringify({ message_uuid: 'abc', status: 'delivered' });

function verify(authorization: string | undefined, rawBody: string | Buffer = body, secret = SECRET) {
  return verifyWebhookSignature({ authorization, rawBody, secret });
}

describe('signed webhooks', () => {
  it('verifies a webhook signed with the secret, from a string or the raw bytes', async () => {
    const token = await signWebhook(body, SECRET, { applicationId: 'app-1', apiKey: 'key-1' });
    expect(await verify(`Bearer ${token}`)).toEqual({ ok: true });
    expect(await verify(`Bearer ${token}`, Buffer.from(body))).toEqual({ ok: true });
    const [, payload] = token.split('.');
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload ?? ''))) as Record<string, unknown>;
    expect(claims).toMatchObject({
      iss: 'Vonage',
      api_key: 'key-1',
      application_id: 'app-1',
      payload_hash: createHash('sha256').update(body).digest('hex'),
    });
    expect(claims.jti).toEqual(expect.any(String));
  });

  it('refuses a missing or non-bearer Authorization header', async () => {
    expect(await verify(undefined)).toMatchObject({ ok: false, reason: expect.stringMatching(/missing bearer/) });
    expect(await verify('Basic dXNlcjpwYXNz')).toMatchObject({ ok: false, reason: expect.stringMatching(/missing bearer/) });
  });

  it('refuses a token signed with another secret', async () => {
    const token = await signWebhook(body, 'not-the-secret');
    expect(await verify(`Bearer ${token}`)).toMatchObject({ ok: false, reason: expect.stringMatching(/bad signature/) });
  });

  it('refuses a forged token: claims rewritten under the original signature', async () => {
    const [header, , signature] = (await signWebhook(body, SECRET)).split('.');
    const forgedBody = JSON.stringify({ message_uuid: 'abc', status: 'read' });
    const claims = {
      iat: Math.floor(Date.now() / 1000),
      iss: 'Vonage',
      payload_hash: createHash('sha256').update(forgedBody).digest('hex'),
    };
    const forged = `${header}.${base64url.encode(JSON.stringify(claims))}.${signature}`;
    expect(await verify(`Bearer ${forged}`, forgedBody)).toMatchObject({ ok: false, reason: expect.stringMatching(/bad signature/) });
  });

  it('refuses another algorithm than HS256', async () => {
    const { privateKey } = rsaKeyPair();
    const rs256 = await new SignJWT({ payload_hash: createHash('sha256').update(body).digest('hex') })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuedAt()
      .sign(createPrivateKey(privateKey));
    expect(await verify(`Bearer ${rs256}`)).toMatchObject({ ok: false, reason: expect.stringMatching(/wrong alg/) });
    const unsigned = `${base64url.encode('{"alg":"none"}')}.${base64url.encode(JSON.stringify({ iat: Math.floor(Date.now() / 1000) }))}.`;
    expect(await verify(`Bearer ${unsigned}`)).toMatchObject({ ok: false, reason: expect.stringMatching(/wrong alg/) });
  });

  it('refuses a body changed after signing', async () => {
    const token = await signWebhook(body, SECRET);
    const changed = body.replace('delivered', 'read');
    expect(await verify(`Bearer ${token}`, changed)).toMatchObject({ ok: false, reason: expect.stringMatching(/payload_hash mismatch/) });
  });

  it('refuses an iat outside the tolerance, either side', async () => {
    const hash = createHash('sha256').update(body).digest('hex');
    const key = new TextEncoder().encode(SECRET);
    const now = Math.floor(Date.now() / 1000);
    const signedAt = (iat: number) =>
      new SignJWT({ payload_hash: hash }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(iat).setIssuer('Vonage').sign(key);
    // Ten seconds past the 300 s tolerance: the verifier's clock may have moved on a second since `now`.
    expect(await verify(`Bearer ${await signedAt(now - 310)}`)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/iat outside tolerance/),
    });
    expect(await verify(`Bearer ${await signedAt(now + 310)}`)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/iat outside tolerance/),
    });
    expect(await verify(`Bearer ${await signedAt(now - 200)}`)).toEqual({ ok: true });
    expect(
      await verifyWebhookSignature({
        authorization: `Bearer ${await signedAt(now - 200)}`,
        rawBody: body,
        secret: SECRET,
        toleranceSeconds: 60,
      }),
    ).toMatchObject({ ok: false });
  });

  it('refuses a token that is expired, not valid yet, names a critical extension, or is not a JWS', async () => {
    const hash = createHash('sha256').update(body).digest('hex');
    const key = new TextEncoder().encode(SECRET);
    const now = Math.floor(Date.now() / 1000);
    const signed = (header: Record<string, unknown>, claims: Record<string, unknown>) =>
      new SignJWT({ payload_hash: hash, ...claims })
        .setProtectedHeader({ alg: 'HS256', ...header })
        .setIssuedAt(now)
        .sign(key);
    expect(await verify(`Bearer ${await signed({}, { exp: now - 1 })}`)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/expired/),
    });
    expect(await verify(`Bearer ${await signed({}, { nbf: now + 60 })}`)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not valid yet/),
    });
    expect(await verify(`Bearer ${await signed({}, { exp: now + 60, nbf: now - 60 })}`)).toEqual({ ok: true });
    const critical = await new SignJWT({ payload_hash: hash })
      .setProtectedHeader({ alg: 'HS256', crit: ['b64'], b64: true })
      .setIssuedAt(now)
      .sign(key);
    expect(await verify(`Bearer ${critical}`)).toMatchObject({ ok: false, reason: expect.stringMatching(/critical header/) });
    const token = await signWebhook(body, SECRET);
    const [header, payload, signature = ''] = token.split('.');
    expect(await verify(`Bearer ${header}.${payload}`)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/three base64url parts/),
    });
    expect(await verify(`Bearer ${header}.${payload}.${signature.slice(0, -4)}`)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/bad signature/),
    });
    expect(await verify(`Bearer ${header}.${payload}.${signature.slice(0, -1)}*`)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/bad signature/),
    });
    expect(await verify(`Bearer e30.${payload}.${signature}`)).toMatchObject({ ok: false, reason: expect.stringMatching(/wrong alg/) });
  });
});
