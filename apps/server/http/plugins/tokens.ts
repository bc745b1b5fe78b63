import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { RevokedTokens } from '#libs/auth';
import { parse } from '#libs/http';
import { access } from '../accessControl.js';

const RevokeBody = z.strictObject({
  jti: z.string().min(1).max(256).describe("the token's id (its jti claim; `switchboard token create` prints it)"),
  reason: z.string().max(500).optional(),
});

/** Taking tokens back: an operator revokes a token by its id, and every process refuses it from then on. */
export const tokensPlugin: FastifyPluginAsync<{ revoked: RevokedTokens }> = async (app, { revoked }) => {
  app.get('/v1/tokens/revoked', { config: { access: access.operator } }, async () => ({ revoked: revoked.list() }));

  app.post('/v1/tokens/revoked', { config: { access: access.operator } }, async (request, reply) => {
    const { jti, reason } = parse(RevokeBody, request.body);
    const revocation = { jti, revoked_at: new Date().toISOString(), revoked_by: request.claims!.sub, ...(reason ? { reason } : {}) };
    await revoked.revoke(revocation);
    request.log.info({ jti, revoked_by: revocation.revoked_by }, 'token revoked');
    return reply.status(201).send(revocation);
  });
};
