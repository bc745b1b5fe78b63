import { z } from 'zod';

/** How a channel names a party: a phone number or a platform id; SMS senders may also be a name. */
export type AddressFormat = 'number' | 'id';
export type SenderFormat = AddressFormat | 'number_or_name';

/** What Switchboard knows of one Messages API v1 channel: a row of the table below. */
export interface ChannelSpec {
  /** Other names it goes by (the tutorial's, older APIs'); its Dispatch name is one as well. */
  readonly aliases?: readonly string[];
  readonly recipient: AddressFormat;
  /** SMS also takes an alphanumeric sender id where local rules allow. */
  readonly sender: SenderFormat;
  /** Whether its status webhooks can say `read`; the others stop at `delivered`. */
  readonly reportsRead: boolean;
  /** The longest text one message may carry. */
  readonly maxTextLength: number;
  /** Its name in the Dispatch API v0.1; absent where Dispatch cannot send on it. */
  readonly dispatchName?: string;
  /** Sent with every message, under the channel's name in the request (Messages v1 or Dispatch). */
  readonly messageOptions?: Readonly<Record<string, string>>;
  /** Whether a user's message says which of ours it answers. */
  readonly quotesReplies?: boolean;
}

/**
 * Every channel, the one place each is described: types, names, formats and limits below are all
 * read from here, as are the VONAGE_FROM_* settings and the simulator's senders. A new channel is
 * one row (and the simulator's schema for any body fields of its own).
 */
const TABLE = {
  sms: { recipient: 'number', sender: 'number_or_name', reportsRead: false, maxTextLength: 1000, dispatchName: 'sms' },
  mms: { recipient: 'number', sender: 'number', reportsRead: false, maxTextLength: 1000 },
  whatsapp: {
    recipient: 'number',
    sender: 'number',
    reportsRead: true,
    maxTextLength: 4096,
    dispatchName: 'whatsapp',
    quotesReplies: true,
  },
  messenger: { recipient: 'id', sender: 'id', reportsRead: true, maxTextLength: 640, dispatchName: 'messenger' },
  viber_service: {
    aliases: ['viber'],
    recipient: 'number',
    sender: 'id',
    reportsRead: true,
    maxTextLength: 1000,
    dispatchName: 'viber_service_msg',
    quotesReplies: true,
    // Alerts are transactional; Viber only lets a business start a conversation with that category.
    messageOptions: { category: 'transaction' },
  },
  rcs: { recipient: 'number', sender: 'id', reportsRead: true, maxTextLength: 3072 },
} as const satisfies Readonly<Record<string, ChannelSpec>>;

export type ChannelType = keyof typeof TABLE;
export const CHANNELS: Readonly<Record<ChannelType, ChannelSpec>> = TABLE;
/** Messages API v1 channels, in the table's order. */
export const CHANNEL_TYPES = Object.keys(TABLE) as [ChannelType, ...ChannelType[]];

/** The channel types whose row passes `test`, in the table's order. */
export function channelsWhere(test: (spec: ChannelSpec) => boolean): ChannelType[] {
  return CHANNEL_TYPES.filter((type) => test(CHANNELS[type]));
}

/** Names as a person lists them: "sms, mms and rcs". */
export function inWords(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function otherNames(type: ChannelType): string[] {
  const { aliases = [], dispatchName } = CHANNELS[type];
  return [...aliases, ...(dispatchName && dispatchName !== type ? [dispatchName] : [])];
}

const BY_NAME: ReadonlyMap<string, ChannelType> = new Map(
  CHANNEL_TYPES.flatMap((type) => [type, ...otherNames(type)].map((name) => [name, type] as const)),
);

/** Every type with the other names it answers to: "sms, …, rcs (viber and viber_service_msg mean viber_service)". */
export const CHANNEL_TYPES_HELP = `${CHANNEL_TYPES.join(', ')} (${CHANNEL_TYPES.filter((type) => otherNames(type).length > 0)
  .map((type) => `${inWords(otherNames(type))} mean ${type}`)
  .join('; ')})`;

export function normalizeChannelType(value: string): ChannelType | undefined {
  return BY_NAME.get(value.trim().toLowerCase());
}

export const ChannelTypeSchema = z.string().transform((value, ctx): ChannelType => {
  const type = normalizeChannelType(value);
  if (type) return type;
  ctx.addIssue({ code: 'custom', message: `unknown channel type "${value}": use one of ${CHANNEL_TYPES_HELP}` });
  return z.NEVER;
});

export function recipientKind(type: ChannelType): AddressFormat {
  return CHANNELS[type].recipient;
}

/** How a channel identifies the sender: `number` also covers SMS's alphanumeric names. */
export function senderKind(type: ChannelType): AddressFormat {
  return CHANNELS[type].sender === 'id' ? 'id' : 'number';
}

export function reportsRead(type: ChannelType): boolean {
  return CHANNELS[type].reportsRead;
}

export function maxTextLength(type: ChannelType): number {
  return CHANNELS[type].maxTextLength;
}

/** The server's default sender on a channel is set in VONAGE_FROM_<TYPE>. */
export type SenderSetting = `VONAGE_FROM_${Uppercase<ChannelType>}`;

export function senderSetting(type: ChannelType): SenderSetting {
  return `VONAGE_FROM_${type.toUpperCase()}` as SenderSetting;
}

/** The channels the Dispatch API v0.1 can send on. */
export const DISPATCH_CHANNEL_TYPES = channelsWhere((spec) => spec.dispatchName !== undefined);

export type DispatchName = Extract<(typeof TABLE)[ChannelType], { dispatchName: string }>['dispatchName'];

/** Dispatch v0.1's channel names (viber_service_msg), each the channel it means. */
export const DISPATCH_CHANNELS = Object.fromEntries(DISPATCH_CHANNEL_TYPES.map((type) => [CHANNELS[type].dispatchName, type])) as Readonly<
  Record<DispatchName, ChannelType>
>;
