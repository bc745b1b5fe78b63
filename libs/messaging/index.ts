export { Messenger, type MessageProvider, type SendRequest, type Senders } from './messenger.js';
export { ProviderInbox, type ProviderListener } from './providerInbox.js';
