import { z } from 'zod';
import { Token } from '#libs/identifiers';
import { ContactChannel } from '#libs/store';
import { ChannelTypeSchema } from '#libs/vonage';

export const SendMessageConfig = z
  .object({
    contact: Token.optional().describe('contact id, e.g. "{{steps.0.output.contact_id}}"'),
    channel: ChannelTypeSchema.optional().describe("which of the contact's channels to use; default its first"),
    to: ContactChannel.optional().describe('an explicit {type, id_num} instead of a contact'),
    text: z.string().min(1).max(4096).describe('the message; a template over the event and earlier outputs'),
    from: z.string().min(1).optional().describe("sender for the channel; default the server's VONAGE_FROM_<CHANNEL>"),
  })
  .refine((config) => (config.contact === undefined) !== (config.to === undefined), {
    message: 'give exactly one of "contact" (a contact id) or "to" ({type, id_num})',
    path: ['contact'],
  });

export type SendMessageConfig = z.infer<typeof SendMessageConfig>;
