import { z } from 'zod';

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** A NATS-subject-safe name: accounts, conversations and event types all use it. */
export const Token = z
  .string()
  .regex(TOKEN_PATTERN, 'must be 1 to 64 characters of A-Z, a-z, 0-9, "_" or "-" (no dots, wildcards or spaces)');

/** Event ids double as the JetStream message id and as parts of KV keys. */
export const EventId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be 1 to 128 characters of A-Z, a-z, 0-9, "_" or "-"');

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
