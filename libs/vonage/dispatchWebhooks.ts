import { z } from 'zod';
import { ChannelTypeSchema } from './channels.js';
import { MessageStatus, MessageUsage } from './messageWebhooks.js';
import { ProviderId } from '#libs/identifiers';

/** A v0.1 address: `{type, number}` or `{type, id}`; the type is read as a Messages v1 channel. */
export const DispatchAddress = z.looseObject({
  type: ChannelTypeSchema,
  number: z.string().optional(),
  id: z.string().optional(),
});

/** A message status of a Dispatch workflow: the Messages v0.1 format plus the workflow link. */
export const DispatchMessageStatusWebhook = z.looseObject({
  message_uuid: ProviderId,
  to: DispatchAddress,
  from: DispatchAddress,
  timestamp: z.string().min(1),
  status: MessageStatus,
  error: z.looseObject({ code: z.number().optional(), reason: z.string().optional() }).optional(),
  usage: MessageUsage.optional(),
  _links: z.looseObject({
    workflow: z.looseObject({ dispatch_uuid: ProviderId, href: z.string().optional() }),
  }),
});
export type DispatchMessageStatusWebhook = z.infer<typeof DispatchMessageStatusWebhook>;

/** The end of a workflow: `completed` when a step met its condition, `error` when the last step failed. */
export const DispatchFinalReport = z.looseObject({
  dispatch_uuid: ProviderId,
  template: z.literal('failover'),
  status: z.enum(['completed', 'error']),
  timestamp: z.string().min(1),
  usage: MessageUsage.optional(),
  _links: z
    .looseObject({
      messages: z.array(
        z.looseObject({
          message_uuid: ProviderId,
          href: z.string().optional(),
          channel: ChannelTypeSchema,
          usage: MessageUsage.optional(),
          status: MessageStatus.optional(),
        }),
      ),
    })
    .optional(),
});
export type DispatchFinalReport = z.infer<typeof DispatchFinalReport>;
