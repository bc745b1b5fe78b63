import { z } from 'zod';
import { Token } from '#libs/events';
import { isTemplated } from '#libs/templates';
import { ChannelTypeSchema } from '#libs/vonage';

/** The audience a launch hook's event carries. */
export const DEFAULT_CONTACTS = '{{event.event_data.audience.contact_ids}}';
export const MAX_BROADCAST_CONTACTS = 50_000;

export const BroadcastConfig = z.object({
  contacts: z
    .union([z.array(Token).max(MAX_BROADCAST_CONTACTS), z.string().refine(isTemplated, 'give a list of contact ids, or a template of one')])
    .default(DEFAULT_CONTACTS)
    .describe(`contact ids, or a template of a list; default "${DEFAULT_CONTACTS}" (a launch hook's audience)`),
  text: z
    .string()
    .min(1)
    .max(4096)
    .describe('the message, rendered once per contact: a template over event, steps and contact ({id, name, variables, channel})'),
  channel: ChannelTypeSchema.optional().describe("which of each contact's channels to use; default its first"),
  from: z.string().min(1).optional().describe("sender for the channel; default the server's VONAGE_FROM_<CHANNEL>"),
  batch_size: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(10)
    .describe('messages sent at once; the progress record is updated after each batch'),
});

export type BroadcastConfig = z.infer<typeof BroadcastConfig>;
