import { z } from 'zod';
import { ChannelTypeSchema } from './channels.js';
import { ClientRef, ProviderId } from '#libs/identifiers';

export const MESSAGE_STATUSES = ['submitted', 'delivered', 'rejected', 'undeliverable', 'read'] as const;
export const MessageStatus = z.enum(MESSAGE_STATUSES);
export type MessageStatus = z.infer<typeof MessageStatus>;

/** `usage` on status webhooks: what the message cost. */
export const MessageUsage = z.looseObject({ currency: z.string().optional(), price: z.string().optional() });

/** Messages v1 status webhook. Extra fields (channel specifics Vonage adds) pass through. */
export const MessageStatusWebhook = z.looseObject({
  message_uuid: ProviderId,
  to: z.string(),
  from: z.string(),
  timestamp: z.string().min(1),
  status: MessageStatus,
  channel: ChannelTypeSchema,
  client_ref: ClientRef.optional(),
  /** Why a message was rejected or undeliverable; `title` carries Vonage's error code. */
  error: z
    .looseObject({
      type: z.string().optional(),
      title: z.union([z.string(), z.number()]).optional(),
      detail: z.string().optional(),
      instance: z.string().optional(),
    })
    .optional(),
  usage: MessageUsage.optional(),
});
export type MessageStatusWebhook = z.infer<typeof MessageStatusWebhook>;

/** Messages v1 inbound webhook: a user's message (a reply) to one of the application's numbers or ids. */
export const InboundMessageWebhook = z.looseObject({
  channel: ChannelTypeSchema,
  message_uuid: ProviderId,
  to: z.string(),
  from: z.string(),
  timestamp: z.string().min(1),
  message_type: z.string().min(1),
  text: z.string().optional(),
  /** WhatsApp and Viber say which message a reply answers. */
  context: z.looseObject({ message_uuid: z.string().optional() }).optional(),
});
export type InboundMessageWebhook = z.infer<typeof InboundMessageWebhook>;
