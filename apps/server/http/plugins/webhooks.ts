import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { SwitchboardError } from '../../../../libs/errors/index.js';
import type { ProviderInbox } from '../../../../libs/messaging/index.js';
import { InboundMessageWebhook, MessageStatusWebhook, verifyWebhookSignature } from '../../../../libs/vonage/index.js';
import { parse } from '../validation.js';

export interface WebhooksOptions {
  inbox: ProviderInbox;
  /** When set, every webhook must carry a valid Vonage signature (HS256 JWT with payload_hash). */
  signatureSecret: string | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
  }
}

/**
 * Provider webhooks: verified (when a signature secret is configured), validated, and stored on
 * the PROVIDER stream before the 200, so a crash right after answering loses nothing.
 */
export const webhooksPlugin: FastifyPluginAsync<WebhooksOptions> = async (app, { inbox, signatureSecret }) => {
  // The signature covers the exact bytes: keep them (this parser applies to this plugin only).
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string;
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  async function verified<S extends z.ZodType>(request: FastifyRequest, schema: S): Promise<{ webhook: z.infer<S>; raw: string }> {
    const raw = request.rawBody ?? '';
    if (signatureSecret) {
      const result = await verifyWebhookSignature({ authorization: request.headers.authorization, rawBody: raw, secret: signatureSecret });
      if (!result.ok) {
        request.log.warn({ reason: result.reason }, 'webhook signature rejected');
        throw new SwitchboardError('unauthorized', `webhook signature rejected: ${result.reason}`);
      }
    }
    return { webhook: parse(schema, request.body), raw };
  }

  app.post('/webhooks/status', async (request) => {
    const { webhook, raw } = await verified(request, MessageStatusWebhook);
    await inbox.storeStatus(webhook, raw);
    return { ok: true };
  });

  app.post('/webhooks/inbound', async (request) => {
    const { webhook, raw } = await verified(request, InboundMessageWebhook);
    await inbox.storeInbound(webhook, raw);
    return { ok: true };
  });
};
