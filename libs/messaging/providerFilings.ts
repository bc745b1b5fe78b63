import { STREAMS } from '#libs/bus';
import { stableId } from '#libs/events';
import type { MessageStatus } from '#libs/vonage';

/**
 * Where each provider webhook is filed. Receipts and replies get a subject of their own per
 * message, status and address, so the last one of each can be looked up directly (see
 * StoredReceipts) without reading the stream. Provider ids are tokens already (ProviderId, checked
 * at every way in); a client_ref's ref is free text, so it is encoded.
 */
export interface Filing {
  stream: string;
  subject: string;
}

function onProvider(subject: string): Filing {
  return { stream: STREAMS.provider, subject };
}

/**
 * `submitted` tells no worker anything to act on (a message is sent; what matters is whether it
 * arrives or is read), so it goes to RECEIPTS, which no consumer reads: the provider worker is not
 * handed one for every message sent.
 */
function statusFiling(account: string, messageUuid: string, status: MessageStatus): Filing {
  const path = `${account}.${messageUuid}.${status}`;
  return status === 'submitted' ? { stream: STREAMS.receipts, subject: `receipts.status.${path}` } : onProvider(`provider.status.${path}`);
}

export const providerFilings = {
  status: statusFiling,
  /**
   * The message the provider accepted for a send of ours, by the send's ref (from client_ref):
   * the evidence a send interrupted before its record was written went out, so it is not sent again.
   */
  acceptedSend: (account: string, ref: string): Filing => ({
    stream: STREAMS.receipts,
    // Encoded, not cleaned: two refs must never share a subject.
    subject: `receipts.sent.${account}.${Buffer.from(ref).toString('base64url')}`,
  }),
  inbound: (channel: string, from: string) => onProvider(`provider.inbound.${channel}.${stableId(channel, from)}`),
  dispatchStatus: (dispatchUuid: string, messageUuid: string, status: MessageStatus) =>
    onProvider(`provider.dispatch.${dispatchUuid}.${messageUuid}.${status}`),
  dispatchReport: (dispatchUuid: string) => onProvider(`provider.dispatch.${dispatchUuid}.report`),
  /** Every webhook of a workflow, as a filter on PROVIDER. */
  dispatchAll: (dispatchUuid: string) => `provider.dispatch.${dispatchUuid}.>`,
};
