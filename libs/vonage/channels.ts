import { z } from 'zod';

/** Messages API v1 channels. */
export const CHANNEL_TYPES = ['sms', 'mms', 'whatsapp', 'messenger', 'viber_service', 'rcs'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** Names the tutorial and Vonage's older APIs use for the same channels. */
const CHANNEL_ALIASES: Readonly<Record<string, ChannelType>> = {
  viber: 'viber_service',
  viber_service_msg: 'viber_service',
};

/** How a channel addresses its recipient: a phone number or a platform id. */
const RECIPIENT_KIND: Readonly<Record<ChannelType, 'number' | 'id'>> = {
  sms: 'number',
  mms: 'number',
  whatsapp: 'number',
  rcs: 'number',
  viber_service: 'number',
  messenger: 'id',
};

/** Channels whose status webhooks can say `read`; SMS and MMS stop at `delivered`. */
const REPORTS_READ: ReadonlySet<ChannelType> = new Set(['whatsapp', 'messenger', 'viber_service', 'rcs']);

export function normalizeChannelType(value: string): ChannelType | undefined {
  const lower = value.trim().toLowerCase();
  const type = CHANNEL_ALIASES[lower] ?? lower;
  return (CHANNEL_TYPES as readonly string[]).includes(type) ? (type as ChannelType) : undefined;
}

export const ChannelTypeSchema = z.string().transform((value, ctx): ChannelType => {
  const type = normalizeChannelType(value);
  if (type) return type;
  ctx.addIssue({
    code: 'custom',
    message: `unknown channel type "${value}": use one of ${CHANNEL_TYPES.join(', ')} (viber and viber_service_msg mean viber_service)`,
  });
  return z.NEVER;
});

export function recipientKind(type: ChannelType): 'number' | 'id' {
  return RECIPIENT_KIND[type];
}

export function reportsRead(type: ChannelType): boolean {
  return REPORTS_READ.has(type);
}

const E164_DIGITS = /^[1-9]\d{6,14}$/;
const PLATFORM_ID = /^[^\s]{1,50}$/;

/**
 * Checks a recipient address for its channel and returns it in the form Vonage expects
 * (numbers as E.164 digits without `+`), or an error message saying what is wrong.
 */
export function normalizeAddress(type: ChannelType, value: string): { ok: true; value: string } | { ok: false; message: string } {
  if (recipientKind(type) === 'id') {
    return PLATFORM_ID.test(value)
      ? { ok: true, value }
      : { ok: false, message: `"${value}" is not a ${type} id (1 to 50 characters, no spaces)` };
  }
  const digits = value.replace(/[\s().-]/g, '').replace(/^\+/, '').replace(/^00/, '');
  return E164_DIGITS.test(digits)
    ? { ok: true, value: digits }
    : { ok: false, message: `"${value}" is not a phone number for ${type} (E.164: 7 to 15 digits, e.g. 447700900123)` };
}

/** How a channel identifies the sender: SMS also takes an alphanumeric sender id where local rules allow. */
const SENDER_KIND: Readonly<Record<ChannelType, 'number' | 'id' | 'number_or_name'>> = {
  sms: 'number_or_name',
  mms: 'number',
  whatsapp: 'number',
  rcs: 'id',
  viber_service: 'id',
  messenger: 'id',
};

/** How a channel identifies the sender: `number` also covers SMS's alphanumeric names. */
export function senderKind(type: ChannelType): 'number' | 'id' {
  return SENDER_KIND[type] === 'id' ? 'id' : 'number';
}

const ALPHANUMERIC_SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;

/**
 * Checks a sender address for its channel and returns it in the form Vonage expects, or an error
 * message saying what is wrong.
 */
export function normalizeSender(type: ChannelType, value: string): { ok: true; value: string } | { ok: false; message: string } {
  const kind = SENDER_KIND[type];
  if (kind === 'id') {
    return PLATFORM_ID.test(value)
      ? { ok: true, value }
      : { ok: false, message: `"${value}" is not a ${type} sender id (1 to 50 characters, no spaces)` };
  }
  const number = normalizeAddress(type, value);
  if (number.ok || kind === 'number') return number;
  return ALPHANUMERIC_SENDER.test(value)
    ? { ok: true, value }
    : {
        ok: false,
        message: `"${value}" is not an SMS sender: use a phone number (E.164, e.g. 447700900123) or a name of up to 11 letters and digits`,
      };
}

/** Longest text each channel accepts in one Messages v1 text message. */
const MAX_TEXT_LENGTH: Readonly<Record<ChannelType, number>> = {
  sms: 1000,
  mms: 1000,
  whatsapp: 4096,
  messenger: 640,
  viber_service: 1000,
  rcs: 3072,
};

export function maxTextLength(type: ChannelType): number {
  return MAX_TEXT_LENGTH[type];
}
