import { SwitchboardError } from '../errors/index.js';
import { clientRef } from './providerInbox.js';
import type { Logger } from '../logger/index.js';
import type { MessageRecord, MessageRepository } from '../store/index.js';
import { normalizeAddress, type ChannelType, type OutboundMessage } from '../vonage/index.js';

/** What Switchboard needs of a provider: send one message, get its id. */
export interface MessageProvider {
  send(message: OutboundMessage): Promise<{ messageUuid: string }>;
}

export type Senders = Partial<Record<ChannelType, string>>;

export interface SendRequest {
  account: string;
  channel: ChannelType;
  to: string;
  text: string;
  /** Overrides the configured sender for the channel. */
  from?: string;
  /** Stable id of the work this send belongs to; sending twice with one ref sends once. */
  ref: string;
  /** A short ref echoed in every receipt's client_ref, so receipts reach the work without a lookup. */
  receiptRef?: string;
  /**
   * The caller knows that no earlier try with this ref can have reached the provider (its own
   * write created the work a moment ago), so the duplicate check, a lookup that then always finds
   * nothing, is skipped.
   */
  firstTry?: boolean;
}

/**
 * Sends messages through the provider and records them. Sends are idempotent on `ref`, so a
 * handler retried after a send (or a redelivered event) does not message anyone twice.
 */
export class Messenger {
  constructor(
    private readonly provider: MessageProvider,
    private readonly messages: MessageRepository,
    private readonly senders: Senders,
    private readonly log: Logger,
  ) {}

  /** The server's configured sender for a channel, if any. */
  senderFor(channel: ChannelType): string | undefined {
    return this.senders[channel];
  }

  async send(request: SendRequest): Promise<{ record: MessageRecord; duplicate: boolean }> {
    const earlier = request.firstTry ? undefined : await this.messages.findByRef(request.account, request.ref);
    if (earlier) return { record: earlier, duplicate: true };

    const from = request.from ?? this.senders[request.channel];
    if (!from) {
      throw new SwitchboardError(
        'validation_failed',
        `no sender for channel ${request.channel}: set VONAGE_FROM_${request.channel.toUpperCase()} or give "from" in the step`,
      );
    }
    const to = normalizeAddress(request.channel, request.to);
    if (!to.ok) throw new SwitchboardError('validation_failed', `cannot send on ${request.channel}: ${to.message}`);

    const { messageUuid } = await this.provider.send({
      channel: request.channel,
      to: to.value,
      from,
      text: request.text,
      clientRef: clientRef(request.account, request.receiptRef),
    });
    const record = await this.messages.recordSend(request.account, {
      message_uuid: messageUuid,
      channel: request.channel,
      to: to.value,
      from,
      text: request.text,
      ref: request.ref,
    });
    this.log.info({ message_uuid: messageUuid, channel: request.channel, ref: request.ref }, 'message sent');
    return { record, duplicate: false };
  }
}
