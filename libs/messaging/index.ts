export { Messenger, type MessageProvider, type SendRequest, type Senders } from './messenger.js';
