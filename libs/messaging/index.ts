export { Messenger, type MessageProvider, type SendRequest, type Senders } from './messenger.js';
export { normalizedFrom, ProviderInbox, type ProviderListener } from './providerInbox.js';
export { StoredReceipts, type StoredReceipt } from './storedReceipts.js';
