import { z } from 'zod';
import { CHANNEL_TYPES, senderSetting, type ChannelType, type SenderSetting } from '#libs/vonage';

/** VONAGE_FROM_<TYPE> for every channel in libs/vonage's table: the server's default senders. */
export const SenderSettings = Object.fromEntries(CHANNEL_TYPES.map((type) => [senderSetting(type), z.string().optional()])) as Record<
  SenderSetting,
  z.ZodOptional<z.ZodString>
>;

/** The senders set, by channel; an empty value counts as unset. */
export function sendersFrom(raw: Partial<Record<SenderSetting, string>>): Partial<Record<ChannelType, string>> {
  const senders = CHANNEL_TYPES.map((type) => [type, raw[senderSetting(type)]] as const);
  return Object.fromEntries(senders.filter(([, sender]) => sender));
}
