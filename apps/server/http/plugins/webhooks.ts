import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { SwitchboardError } from '#libs/errors';
import type { ProviderInbox } from '#libs/messaging';
import {
  DispatchFinalReport,
  DispatchMessageStatusWebhook,
  InboundMessageWebhook,
  MessageStatusWebhook,
  verifyWebhookSignature,
} from '#libs/vonage';
import { parse, parseJsonBody } from '#libs/http';
import type { JsonShapeLimits } from '#libs/jsonShape';
import { access } from '../accessControl.js';

export interface WebhooksOptions {
  inbox: ProviderInbox;
  /** Every webhook must carry a valid Vonage signature with it (HS256 JWT with payload_hash). */
  signatureSecret: string;
  /** The same shape check as every other JSON body. */
  jsonShape: JsonShapeLimits;
}

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
  }
}

/**
 * Provider webhooks: verified, validated, and stored on the PROVIDER stream before the 200, so a
 * crash right after answering loses nothing.
 */
export const webhooksPlugin: FastifyPluginAsync<WebhooksOptions> = async (app, { inbox, signatureSecret, jsonShape }) => {
  // The signature covers the exact bytes: keep them (this parser replaces the app's in this plugin only).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, async (request: FastifyRequest, body: string) => {
    request.rawBody = body;
    return parseJsonBody(body, jsonShape);
  });

  /** The raw body, once its signature checks out. */
  async function verified(request: FastifyRequest): Promise<string> {
    const raw = request.rawBody ?? '';
    const result = await verifyWebhookSignature({ authorization: request.headers.authorization, rawBody: raw, secret: signatureSecret });
    if (!result.ok) {
      request.log.warn({ reason: result.reason }, 'webhook signature rejected');
      throw new SwitchboardError('unauthorized', `webhook signature rejected: ${result.reason}`);
    }
    return raw;
  }

  const signed = access.credential("Vonage's webhook signature");

  // Messages v1 statuses, and the Dispatch v0.1 statuses and final reports of `mode: dispatch`.
  app.post('/webhooks/status', { config: { access: signed } }, async (request) => {
    const raw = await verified(request);
    const dispatchStatus = DispatchMessageStatusWebhook.safeParse(request.body);
    const dispatchReport = DispatchFinalReport.safeParse(request.body);
    if (dispatchStatus.success) await inbox.storeDispatchStatus(dispatchStatus.data, raw);
    else if (dispatchReport.success) await inbox.storeDispatchReport(dispatchReport.data, raw);
    else await inbox.storeStatus(parse(MessageStatusWebhook, request.body), raw);
    return { ok: true };
  });

  app.post('/webhooks/inbound', { config: { access: signed } }, async (request) => {
    const raw = await verified(request);
    await inbox.storeInbound(parse(InboundMessageWebhook, request.body), raw);
    return { ok: true };
  });
};
