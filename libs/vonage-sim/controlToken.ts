import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { onRequestAsyncHookHandler } from 'fastify';
import { SwitchboardError } from '#libs/errors';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** A fresh control API token: 32 random bytes, base64url. */
export function newControlToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Equal-length digests, so the comparison takes the same time whatever the guess's length or content. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * An `onRequest` hook answering 401 unless the request carries `Authorization: Bearer <token>`.
 * It runs before the body is parsed, so a caller without the token learns nothing from validation.
 */
export function requireControlToken(token: string): onRequestAsyncHookHandler {
  const expected = digest(token);
  return async (req, reply) => {
    const given = BEARER.exec(req.headers.authorization ?? '')?.[1];
    if (given !== undefined && timingSafeEqual(digest(given), expected)) return;
    const message = given === undefined ? 'send the control token: Authorization: Bearer <control token>' : 'the control token is wrong';
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer')
      .send({ error: new SwitchboardError('unauthorized', message).toJSON() });
  };
}
