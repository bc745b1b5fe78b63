import type { FastifyInstance } from 'fastify';
import { allows, coversAccount, type Claims, type TokenVerifier } from '../../../libs/auth/index.js';
import { SwitchboardError } from '../../../libs/errors/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    claims?: Claims;
  }
}

const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * Every `/v1/...` call needs a valid bearer token. A token for other accounts gets the same 404 as
 * anything that does not exist (an account's existence is not revealed); a read-only token that
 * tries a change gets a 403.
 */
export function installAuthentication(app: FastifyInstance, verify: TokenVerifier): void {
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/v1/')) return;
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (!token) throw new SwitchboardError('unauthorized', 'send a token: Authorization: Bearer <token> (`switchboard token create` mints one)');
    const claims = await verify(token);
    const account = (request.params as { account?: string } | undefined)?.account;
    if (account !== undefined && !coversAccount(claims, account)) {
      throw new SwitchboardError('not_found', `no endpoint ${request.method} ${request.url.split('?')[0]}`);
    }
    if (!allows(claims, request.method)) {
      throw new SwitchboardError('forbidden', `this token's scope is ${claims.scope}: it cannot ${request.method} (that needs write)`);
    }
    request.claims = claims;
  });
}
