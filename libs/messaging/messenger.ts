import { createHash } from 'node:crypto';
import { isSwitchboardError, SwitchboardError } from '#libs/errors';
import { clientRef } from './providerInbox.js';
import type { Logger } from '#libs/logger';
import type { MessageRecord, MessageRepository } from '#libs/store';
import { normalizeAddress, senderSetting, type ChannelType, type OutboundMessage } from '#libs/vonage';

/** What Switchboard needs of a provider: send one message, get its id. */
export interface MessageProvider {
  send(message: OutboundMessage): Promise<{ messageUuid: string }>;
}

export type Senders = Partial<Record<ChannelType, string>>;

/** A send refused for what it is (an address or sender it cannot take, the provider's 4xx): sent again, it is refused again. */
export function isRefusedSend(err: unknown): err is SwitchboardError {
  return isSwitchboardError(err, 'validation_failed') || isSwitchboardError(err, 'provider_rejected');
}

/** Where the provider's word that it accepted a send is kept (its `submitted` webhook, filed by the send's ref). */
export interface AcceptedSends {
  acceptedSend(account: string, ref: string): Promise<string | undefined>;
}

export interface SendRequest {
  account: string;
  channel: ChannelType;
  to: string;
  text: string;
  /** Overrides the configured sender for the channel. */
  from?: string;
  /** Stable id of the work this send belongs to; sending twice with one ref sends once. */
  ref: string;
  /**
   * A short ref echoed in every receipt's client_ref, so receipts reach the work without a lookup;
   * by default one made from `ref`. Either way the provider's `submitted` webhook files it.
   */
  receiptRef?: string;
  /**
   * The caller knows that no earlier try with this ref can have reached the provider (its own
   * write created the work a moment ago), so the duplicate check, a lookup that then always finds
   * nothing, is skipped.
   */
  firstTry?: boolean;
}

/** A receipt ref for a send that names none: short enough for client_ref beside the longest account key. */
function receiptRefOf(ref: string): string {
  return `s.${createHash('sha256').update(ref).digest('base64url').slice(0, 22)}`;
}

/**
 * Sends messages through the provider and records them. Sends are idempotent on `ref`, so a
 * handler retried after a send (or a redelivered event) does not message anyone twice: a try
 * that is not the first looks for the record of an earlier one, and for the provider's word that
 * it accepted one (a try cut short between the provider's answer and the record).
 */
export class Messenger {
  constructor(
    private readonly provider: MessageProvider,
    private readonly messages: MessageRepository,
    private readonly senders: Senders,
    private readonly accepted: AcceptedSends,
    private readonly log: Logger,
  ) {}

  /** The server's configured sender for a channel, if any. */
  senderFor(channel: ChannelType): string | undefined {
    return this.senders[channel];
  }

  async send(request: SendRequest): Promise<{ record: MessageRecord; duplicate: boolean }> {
    const from = request.from ?? this.senders[request.channel];
    if (!from) {
      throw new SwitchboardError(
        'validation_failed',
        `no sender for channel ${request.channel}: set ${senderSetting(request.channel)} or give "from" in the step`,
      );
    }
    const to = normalizeAddress(request.channel, request.to);
    if (!to.ok) throw new SwitchboardError('validation_failed', `cannot send on ${request.channel}: ${to.message}`);
    const receiptRef = request.receiptRef ?? receiptRefOf(request.ref);
    const sent = (messageUuid: string) => ({
      message_uuid: messageUuid,
      channel: request.channel,
      to: to.value,
      from,
      text: request.text,
      ref: request.ref,
    });

    if (!request.firstTry) {
      const recorded = await this.messages.findByRef(request.account, request.ref);
      if (recorded) return { record: recorded, duplicate: true };
      const accepted = await this.accepted.acceptedSend(request.account, receiptRef);
      if (accepted) {
        this.log.info(
          { message_uuid: accepted, ref: request.ref },
          'an earlier try of this send was accepted by the provider: recorded, not sent again',
        );
        return { record: await this.messages.recordSend(request.account, sent(accepted)), duplicate: true };
      }
    }

    const { messageUuid } = await this.provider.send({
      channel: request.channel,
      to: to.value,
      from,
      text: request.text,
      clientRef: clientRef(request.account, receiptRef),
    });
    const record = await this.messages.recordSend(request.account, sent(messageUuid));
    this.log.info({ message_uuid: messageUuid, channel: request.channel, ref: request.ref }, 'message sent');
    return { record, duplicate: false };
  }
}
