import { SwitchboardError } from '#libs/errors';
import { normalizeAddress, normalizeSender, type AddressCheck } from './channelAddresses.js';
import { CHANNELS, type ChannelType } from './channels.js';

/** One text message to send through the Messages API v1. */
export interface OutboundMessage {
  channel: ChannelType;
  to: string;
  from: string;
  text: string;
  /** Echoed in every status webhook of the message (up to 100 characters). */
  clientRef?: string;
}

function checked(field: 'to' | 'from', result: AddressCheck): string {
  if (result.ok) return result.value;
  throw new SwitchboardError('validation_failed', `${field}: ${result.message}`, { field });
}

/**
 * The Messages v1 request body for a text message. Numbers are sent as E.164 digits without `+`;
 * an address that cannot be one for its channel (a placeholder such as "USER PHONE NUMBER") is a
 * `validation_failed` error here rather than a paid round trip to Vonage.
 */
export function messageBody(msg: OutboundMessage): Record<string, unknown> {
  const body: Record<string, unknown> = {
    message_type: 'text',
    text: msg.text,
    to: checked('to', normalizeAddress(msg.channel, msg.to)),
    from: checked('from', normalizeSender(msg.channel, msg.from)),
    channel: msg.channel,
  };
  if (msg.clientRef !== undefined) body.client_ref = msg.clientRef;
  const options = CHANNELS[msg.channel].messageOptions;
  if (options) body[msg.channel] = options;
  return body;
}
