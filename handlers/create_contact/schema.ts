import { z } from 'zod';
import { Token } from '#libs/identifiers';
import { ContactChannel, VariableValue } from '#libs/store';

export const CreateContactConfig = z.object({
  id: Token.optional().describe(
    "explicit contact id (keep a CRM's own id in variables); without it the contact is found by any of its channel addresses",
  ),
  name: z.string().max(200).optional().describe('e.g. "{{event.event_data.name}}"'),
  channels: z
    .array(ContactChannel)
    .min(1, 'a contact needs at least one channel')
    .max(20)
    .describe('[{type, id_num}], e.g. [{"type": "sms", "id_num": "{{event.event_data.msisdn}}"}]'),
  variables: z.record(z.string(), VariableValue).default({}).describe('values to set on the contact, templates allowed'),
});

export type CreateContactConfig = z.infer<typeof CreateContactConfig>;
