import { z } from 'zod';
import { EventId, Token } from '#libs/identifiers';

export { EventId, Token };

export const Cause = z.object({
  root_event_id: EventId,
  parent_event_id: EventId,
  route_id: Token,
  depth: z.number().int().min(1),
});

/** Vumi Go's VumiApiEvent: the one envelope on the bus, validated on every way in. */
export const VumiApiEvent = z.object({
  event_id: EventId,
  account_key: Token,
  conversation_key: Token,
  conversation_type: Token,
  event_type: Token,
  event_data: z.record(z.string(), z.unknown()),
  timestamp: z.iso.datetime({ offset: true }),
  cause: Cause.optional(),
});

export type VumiApiEvent = z.infer<typeof VumiApiEvent>;
export type Cause = z.infer<typeof Cause>;

/** What a source sends: the publisher fills in the id and the time when they are absent. */
export const EventInput = VumiApiEvent.extend({
  event_id: EventId.optional(),
  timestamp: z.iso.datetime({ offset: true }).optional(),
  event_data: z.record(z.string(), z.unknown()).default({}),
});

export type EventInput = z.input<typeof EventInput>;
