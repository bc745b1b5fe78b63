import { stableId } from '../events/index.js';
import type { MessageStatus } from '../vonage/index.js';

/**
 * Where each provider webhook is filed on the PROVIDER stream. Receipts and replies get a subject
 * of their own per message, status and address, so the last one of each can be looked up
 * directly (see StoredReceipts) without reading the stream.
 */
function token(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '_');
}

export const providerSubjects = {
  status: (account: string, messageUuid: string, status: MessageStatus) => `provider.status.${account}.${token(messageUuid)}.${status}`,
  inbound: (channel: string, from: string) => `provider.inbound.${channel}.${stableId(channel, from)}`,
  dispatchStatus: (dispatchUuid: string, messageUuid: string, status: MessageStatus) =>
    `provider.dispatch.${token(dispatchUuid)}.${token(messageUuid)}.${status}`,
  dispatchReport: (dispatchUuid: string) => `provider.dispatch.${token(dispatchUuid)}.report`,
  dispatchAll: (dispatchUuid: string) => `provider.dispatch.${token(dispatchUuid)}.>`,
};
