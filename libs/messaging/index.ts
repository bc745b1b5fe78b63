export { Messenger, type MessageProvider, type SendRequest, type Senders } from './messenger.js';
export { clientRef, normalizedFrom, parseClientRef, ProviderInbox, type ProviderListener } from './providerInbox.js';
export { StoredReceipts, type StoredReceipt } from './storedReceipts.js';
export { WebhookLag } from './webhookLag.js';
