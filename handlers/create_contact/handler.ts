import { defineHandler, NonRetriableError } from '#libs/dispatcher';
import { isSwitchboardError } from '#libs/errors';
import { CreateContactConfig } from './schema.js';

export const createContactHandler = defineHandler({
  type: 'create_contact',
  description: 'Creates or updates a contact from values in the event (upsert on its channel addresses). Output: the contact.',
  config: CreateContactConfig,
  async handle({ event, config, services, log }) {
    const { contact, created } = await services.stores.contacts.upsert(event.account_key, config).catch((err: unknown) => {
      // A contact the store refuses (no id and no channel) is refused every time.
      throw isSwitchboardError(err, 'validation_failed') ? NonRetriableError.from(err) : err;
    });
    log.info({ contact_id: contact.id, created }, created ? 'contact created' : 'contact updated');
    return {
      output: {
        contact_id: contact.id,
        name: contact.name ?? null,
        channels: contact.channels,
        variables: contact.variables,
        created,
      },
    };
  },
});
