export { readBusEvent, type BusEvent } from './busEvent.js';
export { causedEvent, type CausedEventPublisher, type EmittedEvent, type Provenance } from './causation.js';
export { Cause, EventId, EventInput, Token, VumiApiEvent } from './envelope.js';
export { newEventId, stableId } from './eventId.js';
export { ONLY_ROUTE_HEADER, ROUTES_REVISION_HEADER } from './headers.js';
export { completeEvent, publishEvent, type PublishOptions, type PublishedEvent } from './publisher.js';
export { accountEventsFilter, eventSubject, EVENTS_SUBJECT_ROOT } from './subject.js';
