import { CHANNELS, type ChannelType } from './channels.js';

export type AddressCheck = { ok: true; value: string } | { ok: false; message: string };

const E164_DIGITS = /^[1-9]\d{6,14}$/;
const PLATFORM_ID = /^[^\s]{1,50}$/;
const ALPHANUMERIC_SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;

function platformId(value: string, what: string): AddressCheck {
  return PLATFORM_ID.test(value)
    ? { ok: true, value }
    : { ok: false, message: `"${value}" is not a ${what} (1 to 50 characters, no spaces)` };
}

function phoneNumber(type: ChannelType, value: string): AddressCheck {
  const digits = value
    .replace(/[\s().-]/g, '')
    .replace(/^\+/, '')
    .replace(/^00/, '');
  return E164_DIGITS.test(digits)
    ? { ok: true, value: digits }
    : { ok: false, message: `"${value}" is not a phone number for ${type} (E.164: 7 to 15 digits, e.g. 447700900123)` };
}

/**
 * Checks a recipient address for its channel and returns it in the form Vonage expects
 * (numbers as E.164 digits without `+`), or an error message saying what is wrong.
 */
export function normalizeAddress(type: ChannelType, value: string): AddressCheck {
  return CHANNELS[type].recipient === 'id' ? platformId(value, `${type} id`) : phoneNumber(type, value);
}

/**
 * Checks a sender address for its channel and returns it in the form Vonage expects, or an error
 * message saying what is wrong.
 */
export function normalizeSender(type: ChannelType, value: string): AddressCheck {
  const format = CHANNELS[type].sender;
  if (format === 'id') return platformId(value, `${type} sender id`);
  const number = phoneNumber(type, value);
  if (number.ok || format === 'number') return number;
  return ALPHANUMERIC_SENDER.test(value)
    ? { ok: true, value }
    : {
        ok: false,
        message: `"${value}" is not an SMS sender: use a phone number (E.164, e.g. 447700900123) or a name of up to 11 letters and digits`,
      };
}
