export {
  CLIENT_REF_MAX_LENGTH,
  ClientRef,
  EVENT_ID_MAX_LENGTH,
  EventId,
  PROVIDER_ID_MAX_LENGTH,
  ProviderId,
  Token,
  TOKEN_MAX_LENGTH,
} from './identifiers.js';
