import type { JetStreamClient } from 'nats';

export interface OutgoingMessage {
  subject: string;
  data: Uint8Array;
  msgID: string;
}

/**
 * Publishes every message with at most `window` publish acks outstanding: a source that pipelines
 * as a real producer would, rather than waiting a round trip per message.
 */
export async function publishWindowed(js: JetStreamClient, messages: readonly OutgoingMessage[], window: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < messages.length) {
      const message = messages[next++]!;
      await js.publish(message.subject, message.data, { msgID: message.msgID });
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, messages.length) }, lane));
}
