import { defineHandler, NonRetriableError } from '#libs/dispatcher';
import { isRefusedSend } from '#libs/messaging';
import type { ContactChannel, Stores } from '#libs/store';
import { SendMessageConfig } from './schema.js';

async function recipientFor(stores: Stores, account: string, config: SendMessageConfig): Promise<ContactChannel> {
  if (config.to) return config.to;
  const contact = await stores.contacts.get(account, config.contact!);
  if (!contact)
    throw new NonRetriableError(`contact "${config.contact}" does not exist in account ${account}`, { code: 'validation_failed' });
  const channel = config.channel ? contact.channels.find((one) => one.type === config.channel) : contact.channels[0];
  if (!channel) {
    const which = config.channel ? `${config.channel} channel` : 'channel';
    throw new NonRetriableError(`contact "${contact.id}" has no ${which} to send on`, { code: 'validation_failed' });
  }
  return channel;
}

export const sendMessageHandler = defineHandler({
  type: 'send_message',
  description: 'Sends a text to a contact (on its first or a named channel) or to an explicit {type, id_num}. Output: the message id.',
  config: SendMessageConfig,
  async handle({ event, config, services, stepKey }) {
    const recipient = await recipientFor(services.stores, event.account_key, config);
    const { record, duplicate } = await services.messenger
      .send({
        account: event.account_key,
        channel: recipient.type,
        to: recipient.id_num,
        text: config.text,
        from: config.from,
        ref: `step:${stepKey}`,
      })
      .catch((err: unknown) => {
        // Sent again, a refused send is refused again; anything else (the provider down, NATS) may heal.
        throw isRefusedSend(err) ? NonRetriableError.from(err) : err;
      });
    return {
      output: {
        message_uuid: record.message_uuid,
        channel: recipient.type,
        to: record.to ?? recipient.id_num,
        contact_id: config.contact ?? null,
        duplicate,
      },
    };
  },
});
