import { z } from 'zod';
import { messageBody, type OutboundMessage } from './messageBody.js';
import { VonageHttp, type VonageClientOptions } from './vonageHttp.js';
import { ProviderId } from '#libs/identifiers';

export type MessagesClientOptions = VonageClientOptions;

const MessageAccepted = z.object({ message_uuid: ProviderId });

/** Sends messages through the Messages API v1 (`POST /v1/messages`). */
export class MessagesClient {
  private readonly http: VonageHttp;

  constructor(opts: MessagesClientOptions) {
    this.http = new VonageHttp(opts);
  }

  /** Resolves once Vonage accepted the message (202): acceptance, not delivery. */
  async send(msg: OutboundMessage): Promise<{ messageUuid: string }> {
    const body = messageBody(msg);
    const answer = await this.http.postJson('/v1/messages', body, MessageAccepted, `${msg.channel} message`);
    return { messageUuid: answer.message_uuid };
  }
}
