import { defineHandler } from '../../libs/dispatcher/index.js';
import { CreateContactConfig } from './schema.js';

export const createContactHandler = defineHandler({
  type: 'create_contact',
  description: 'Creates or updates a contact from values in the event (upsert on its channel addresses). Output: the contact.',
  config: CreateContactConfig,
  async handle({ event, config, services, log }) {
    const { contact, created } = await services.stores.contacts.upsert(event.account_key, config);
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
