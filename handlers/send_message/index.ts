export { sendMessageHandler } from './handler.js';
export { SendMessageConfig } from './schema.js';
