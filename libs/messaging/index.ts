export { isRefusedSend, Messenger, type MessageProvider, type SendRequest, type Senders } from './messenger.js';
export { clientRef, normalizedFrom, parseClientRef, ProviderInbox, type ProviderListener } from './providerInbox.js';
export { type StoredReceipt } from './storedReceipt.js';
export { StoredReceipts } from './storedReceipts.js';
export { WebhookLag } from './webhookLag.js';
