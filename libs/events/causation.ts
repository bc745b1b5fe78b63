import type { VumiApiEvent } from './envelope.js';
import { stableId } from './eventId.js';

/** An event a handler (or the escalation engine) emits on behalf of the event that caused it. */
export interface EmittedEvent {
  event_type: string;
  event_data: Record<string, unknown>;
  /** Default to the cause's conversation, so routes can chain on "this poll's escalation". */
  conversation_type?: string;
  conversation_key?: string;
}

export interface Provenance {
  route_id: string;
  /** Distinguishes the emitter's events from each other; the same origin gives the same id. */
  origin: string;
}

/**
 * The port through which anything emits events on behalf of a cause (the escalation engine's
 * outcome events); the dispatcher's `CausedEvents` is the one that bounds them.
 */
export interface CausedEventPublisher {
  publish(parent: VumiApiEvent, emitted: EmittedEvent, provenance: Provenance): Promise<unknown>;
}

/**
 * The full envelope of an emitted event: the cause's account and conversation, a deterministic
 * id (a redelivered cause re-emits the same id), and `cause` with the chain's root and depth.
 */
export function causedEvent(parent: VumiApiEvent, emitted: EmittedEvent, provenance: Provenance): VumiApiEvent {
  return {
    event_id: stableId(parent.event_id, provenance.route_id, provenance.origin),
    account_key: parent.account_key,
    conversation_type: emitted.conversation_type ?? parent.conversation_type,
    conversation_key: emitted.conversation_key ?? parent.conversation_key,
    event_type: emitted.event_type,
    event_data: emitted.event_data,
    timestamp: new Date().toISOString(),
    cause: {
      root_event_id: parent.cause?.root_event_id ?? parent.event_id,
      parent_event_id: parent.event_id,
      route_id: provenance.route_id,
      depth: (parent.cause?.depth ?? 0) + 1,
    },
  };
}
