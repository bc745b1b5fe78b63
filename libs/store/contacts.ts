import type { KvBucket } from '#libs/bus';
import { z } from 'zod';
import { SwitchboardError } from '#libs/errors';
import { stableId, Token } from '#libs/events';
import { ChannelTypeSchema, normalizeAddress } from '#libs/vonage';
import { JsonKv } from './jsonKv.js';
import { accountFilter, accountKey, indexKey } from './keys.js';

/** A channel of a contact; its address is checked for the channel and kept in Vonage's form. */
export const ContactChannel = z
  .object({
    type: ChannelTypeSchema,
    id_num: z.string().trim().min(1, 'a channel needs an address (id_num)').max(100),
  })
  .transform((channel, ctx) => {
    const address = normalizeAddress(channel.type, channel.id_num);
    if (address.ok) return { type: channel.type, id_num: address.value };
    ctx.addIssue({ code: 'custom', path: ['id_num'], message: address.message });
    return z.NEVER;
  });

export const VariableValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const Contact = z.object({
  id: Token,
  account_key: Token,
  name: z.string().max(200).optional(),
  channels: z.array(ContactChannel).max(20),
  variables: z.record(z.string(), VariableValue),
  created_at: z.iso.datetime({ offset: true }),
  updated_at: z.iso.datetime({ offset: true }),
});

export type ContactChannel = z.infer<typeof ContactChannel>;
export type Contact = z.infer<typeof Contact>;

export interface ContactInput {
  id?: string;
  name?: string;
  channels: ContactChannel[];
  variables?: Record<string, z.infer<typeof VariableValue>>;
}

const AddressIndexEntry = z.object({ contact_id: Token });

function addressOf(channel: ContactChannel): string {
  return `${channel.type}:${channel.id_num}`;
}

function mergeChannels(current: ContactChannel[], added: ContactChannel[]): ContactChannel[] {
  const seen = new Set(current.map(addressOf));
  return [...current, ...added.filter((channel) => !seen.has(addressOf(channel)))];
}

/** Contacts per account, with an index from each channel address to its contact. */
export class ContactRepository {
  private readonly docs: JsonKv<typeof Contact>;
  private readonly addresses: JsonKv<typeof AddressIndexEntry>;

  constructor(bucket: KvBucket) {
    this.docs = new JsonKv(bucket, Contact);
    this.addresses = new JsonKv(bucket, AddressIndexEntry);
  }

  async get(account: string, id: string): Promise<Contact | undefined> {
    return (await this.docs.get(accountKey(account, id)))?.value;
  }

  list(account: string): Promise<Contact[]> {
    return this.docs.values(accountFilter(account));
  }

  async findByAddress(account: string, channel: ContactChannel): Promise<Contact | undefined> {
    const entry = await this.addresses.get(indexKey(account, 'addr', addressOf(channel)));
    return entry ? this.get(account, entry.value.contact_id) : undefined;
  }

  /**
   * Creates or updates a contact. Without an explicit id, the contact is the one that already
   * owns one of the channel addresses; a new contact's id is derived from its first address,
   * so a redelivered event upserts the same contact instead of creating a second one.
   */
  async upsert(account: string, input: ContactInput): Promise<{ contact: Contact; created: boolean }> {
    const id = input.id ?? (await this.idFor(account, input.channels));
    const now = new Date().toISOString();
    let created = false;
    const saved = await this.docs.mutate(accountKey(account, id), (current) => {
      created = current === undefined;
      return {
        id,
        account_key: account,
        name: input.name ?? current?.name,
        channels: mergeChannels(current?.channels ?? [], input.channels),
        variables: { ...current?.variables, ...input.variables },
        created_at: current?.created_at ?? now,
        updated_at: now,
      };
    });
    const contact = saved!.value;
    await Promise.all(
      contact.channels.map((channel) => this.addresses.put(indexKey(account, 'addr', addressOf(channel)), { contact_id: id })),
    );
    return { contact, created };
  }

  /**
   * Sets variables on an existing contact (a null value reads as unset); undefined when there is
   * no such contact. A contact that already holds these values is not written, so launches that
   * set the same variables on the same contacts at once do not race for its revision.
   */
  async setVariables(account: string, id: string, variables: Record<string, z.infer<typeof VariableValue>>): Promise<Contact | undefined> {
    const saved = await this.docs.mutate(accountKey(account, id), (current) => {
      if (!current) return undefined;
      const unchanged = Object.entries(variables).every(
        ([name, value]) => Object.hasOwn(current.variables, name) && current.variables[name] === value,
      );
      return unchanged
        ? undefined
        : { ...current, variables: { ...current.variables, ...variables }, updated_at: new Date().toISOString() };
    });
    return saved?.value;
  }

  private async idFor(account: string, channels: ContactChannel[]): Promise<string> {
    for (const channel of channels) {
      const existing = await this.findByAddress(account, channel);
      if (existing) return existing.id;
    }
    const first = channels[0];
    if (!first) throw new SwitchboardError('validation_failed', 'a contact without an id needs at least one channel');
    return `c-${stableId(account, addressOf(first)).slice(0, 20)}`;
  }
}
