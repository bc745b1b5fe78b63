import { z } from 'zod';
import { Token } from '#libs/events';

export const EmitEventConfig = z.object({
  event_type: Token.describe('the event to emit, routed like any other'),
  event_data: z.record(z.string(), z.unknown()).default({}).describe('its data; templates over the event and earlier outputs'),
  conversation_type: Token.optional().describe("default: the triggering event's"),
  conversation_key: Token.optional().describe("default: the triggering event's"),
});

export type EmitEventConfig = z.infer<typeof EmitEventConfig>;

/**
 * A config whose event type and conversation are literal (a template is no Token): the event it
 * emits is known when the route is saved. Its data may still hold templates.
 */
export const KnownEmitEvent = EmitEventConfig.extend({ event_data: z.unknown().optional() });
