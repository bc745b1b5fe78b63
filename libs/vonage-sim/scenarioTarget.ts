import { z } from 'zod';
import { ChannelTypeSchema, type ChannelType } from '#libs/vonage';

/**
 * Whose messages a scenario plays for: an address on every channel, or on one channel only (which
 * wins), because one phone number is often someone's WhatsApp, Viber and SMS at once.
 */
export const ScenarioTarget = z.strictObject({
  channel: ChannelTypeSchema.optional().describe('the channel it applies to; every channel when absent'),
  recipient: z.string().min(1).describe('the address, as the message gives it'),
});
export type ScenarioTarget = z.infer<typeof ScenarioTarget>;

/** A message as the scenarios see it: its channel and address. */
export interface Addressee {
  channel: ChannelType;
  to: string;
}
