import type { Contact } from '#libs/store';
import { CHANNEL_TYPES, normalizeAddress, normalizeChannelType, recipientKind, type ChannelType } from '#libs/vonage';
import type { FieldValue } from './criteria.js';

/**
 * Fields a condition can name besides variables. A channel type (or its alias: `viber`) names the
 * contact's addresses on that channel. Reserved names match case-insensitively; any other name is
 * a variable, and `variables.<name>` always is (for a variable called `name`, say).
 */
export const CONTACT_FIELDS = {
  id: 'the contact id',
  name: "the contact's name",
  channel: "the types of the contact's channels (sms, whatsapp, ...), one value each",
  phone: "the contact's phone numbers (every channel addressed by number), as stored: E.164 digits without +",
  address: "every address of the contact's channels",
  ...Object.fromEntries(CHANNEL_TYPES.map((type) => [type, `the contact's ${type} addresses`])),
} as const;

/** What a field name refers to, resolved once per condition. */
export type FieldRef =
  | { kind: 'id' | 'name' | 'channel' | 'phone' | 'address' }
  | { kind: 'channel_address'; channel: ChannelType }
  | { kind: 'variable'; name: string };

const VARIABLE_PREFIX = 'variables.';
const NAMED = new Set(['id', 'name', 'channel', 'phone', 'address']);

export function fieldRef(field: string): FieldRef {
  if (field.startsWith(VARIABLE_PREFIX)) return { kind: 'variable', name: field.slice(VARIABLE_PREFIX.length) };
  const lower = field.toLowerCase();
  if (NAMED.has(lower)) return { kind: lower as 'id' | 'name' | 'channel' | 'phone' | 'address' };
  const channel = normalizeChannelType(lower);
  return channel ? { kind: 'channel_address', channel } : { kind: 'variable', name: field };
}

/** The values a field holds for a contact: none when unset (a null variable is unset). */
export function fieldValues(contact: Contact, ref: FieldRef): FieldValue[] {
  switch (ref.kind) {
    case 'id':
      return [contact.id];
    case 'name':
      return contact.name === undefined ? [] : [contact.name];
    case 'channel':
      return contact.channels.map((channel) => channel.type);
    case 'phone':
      return contact.channels.filter((channel) => recipientKind(channel.type) === 'number').map((channel) => channel.id_num);
    case 'address':
      return contact.channels.map((channel) => channel.id_num);
    case 'channel_address':
      return contact.channels.filter((channel) => channel.type === ref.channel).map((channel) => channel.id_num);
    case 'variable': {
      const value = Object.hasOwn(contact.variables, ref.name) ? contact.variables[ref.name] : undefined;
      return value === undefined || value === null ? [] : [value];
    }
  }
}

/**
 * The compared value in the form the field stores: channel aliases as their type (`viber` is
 * `viber_service`), phone numbers as E.164 digits (`+44 7700 900123` is `447700900123`).
 */
export function expectedFor(ref: FieldRef, value: FieldValue): FieldValue {
  if (typeof value !== 'string') return value;
  if (ref.kind === 'channel') return normalizeChannelType(value) ?? value;
  const numbered =
    ref.kind === 'phone' ? 'sms' : ref.kind === 'channel_address' && recipientKind(ref.channel) === 'number' ? ref.channel : undefined;
  if (numbered) {
    const address = normalizeAddress(numbered, value);
    if (address.ok) return address.value;
  }
  return value;
}
