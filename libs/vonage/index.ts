export * from './channels.js';
export { normalizeAddress, normalizeSender, type AddressCheck } from './channelAddresses.js';
export { signApplicationJwt, ApplicationJwtSigner, type ApplicationCredentials } from './appJwt.js';
export { exponentialDelayMs } from './backoff.js';
export { ProblemDetails } from './problemDetails.js';
export type { VonageClientOptions } from './vonageHttp.js';
export { messageBody, type OutboundMessage } from './messageBody.js';
export { MessagesClient, type MessagesClientOptions } from './messagesClient.js';
export {
  MESSAGE_STATUSES,
  MessageStatus,
  MessageUsage,
  MessageStatusWebhook,
  InboundMessageWebhook,
} from './messageWebhooks.js';
export { signWebhook, verifyWebhookSignature, type WebhookVerification } from './webhookSignature.js';
export { FailoverCondition, dispatchBody, type DispatchItem } from './dispatchWorkflow.js';
export { DispatchClient, type DispatchClientOptions } from './dispatchClient.js';
export {
  DispatchAddress,
  DispatchMessageStatusWebhook,
  DispatchFinalReport,
} from './dispatchWebhooks.js';
