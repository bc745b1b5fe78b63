import { z } from 'zod';
import { CHANNEL_TYPES, maxTextLength, normalizeAddress, normalizeSender } from '#libs/vonage';
import { addressProblem } from './addressCheck.js';

/** `POST /v1/messages` for a text message, checked per channel as Vonage does. */
export const MessageRequest = z
  .object({
    channel: z.enum(CHANNEL_TYPES),
    message_type: z.literal('text', { error: 'the simulator sends text messages only: use "text"' }),
    text: z.string().min(1),
    to: z.string(),
    from: z.string(),
    client_ref: z.string().max(100).optional(),
    viber_service: z
      .object({
        category: z.enum(['transaction', 'promotion']).optional(),
        ttl: z.number().int().min(30).max(259_200).optional(),
        type: z.string().optional(),
      })
      .optional(),
    messenger: z.object({ category: z.enum(['response', 'update', 'message_tag']).optional(), tag: z.string().optional() }).optional(),
  })
  .superRefine((msg, ctx) => {
    const to = addressProblem(normalizeAddress(msg.channel, msg.to), msg.to);
    if (to) ctx.addIssue({ code: 'custom', path: ['to'], message: to });
    const from = addressProblem(normalizeSender(msg.channel, msg.from), msg.from);
    if (from) ctx.addIssue({ code: 'custom', path: ['from'], message: from });
    const limit = maxTextLength(msg.channel);
    if (msg.text.length > limit)
      ctx.addIssue({ code: 'custom', path: ['text'], message: `must be at most ${limit} characters on ${msg.channel}` });
    if (msg.messenger?.category === 'message_tag' && !msg.messenger.tag) {
      ctx.addIssue({ code: 'custom', path: ['messenger', 'tag'], message: 'is required when category is message_tag' });
    }
  });
export type MessageRequest = z.infer<typeof MessageRequest>;
