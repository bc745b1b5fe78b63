import type { VumiApiEvent } from './envelope.js';

type Routable = Pick<VumiApiEvent, 'account_key' | 'conversation_type' | 'conversation_key' | 'event_type'>;

export const EVENTS_SUBJECT_ROOT = 'events';

/** `events.<account>.<conversation_type>.<conversation_key>.<event_type>` */
export function eventSubject(event: Routable): string {
  return `${EVENTS_SUBJECT_ROOT}.${event.account_key}.${event.conversation_type}.${event.conversation_key}.${event.event_type}`;
}

/** The subject filter for every event of one account. */
export function accountEventsFilter(accountKey: string): string {
  return `${EVENTS_SUBJECT_ROOT}.${accountKey}.>`;
}
