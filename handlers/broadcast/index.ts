export { broadcastHandler, broadcastId } from './handler.js';
export { BroadcastConfig, DEFAULT_CONTACTS } from './schema.js';
