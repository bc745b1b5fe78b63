import type { KvBucket } from '#libs/bus';
import { z } from 'zod';
import { ProviderId, Token } from '#libs/identifiers';
import { CHANNEL_TYPES, MessageStatus } from '#libs/vonage';
import { isRevisionConflict, JsonKv } from './jsonKv.js';
import { accountKey, indexKey } from './keys.js';

/** One status of a message as the provider reported it. */
export const StatusReceipt = z.object({
  status: MessageStatus,
  /** When the provider says it happened. */
  at: z.string(),
  error: z.record(z.string(), z.unknown()).optional(),
});

/**
 * A message as it was sent. Its status timeline is not kept here: every receipt is stored on the
 * PROVIDER stream under a subject of its own, which is where timelines are read from.
 */
export const MessageRecord = z.object({
  message_uuid: ProviderId,
  account_key: Token,
  channel: z.enum(CHANNEL_TYPES).optional(),
  to: z.string().optional(),
  from: z.string().optional(),
  text: z.string().optional(),
  /** Who sent it: `step:<event>:<route>:<step>` or `escalation:<id>:<attempt>:<condition>`. */
  ref: z.string().optional(),
  /** For a message of a Dispatch workflow (Vonage sent it), the workflow. */
  dispatch_uuid: z.string().optional(),
  sent_at: z.string().optional(),
});

export type StatusReceipt = z.infer<typeof StatusReceipt>;
export type MessageRecord = z.infer<typeof MessageRecord>;

export interface SentMessage {
  message_uuid: string;
  channel: MessageRecord['channel'];
  to: string;
  from: string;
  text: string;
  ref: string;
}

const RefIndexEntry = z.object({ message_uuid: z.string() });

/** Every message sent, by its id and by the ref of the work that sent it (which makes sends idempotent). */
export class MessageRepository {
  private readonly docs: JsonKv<typeof MessageRecord>;
  private readonly refs: JsonKv<typeof RefIndexEntry>;

  constructor(bucket: KvBucket) {
    this.docs = new JsonKv(bucket, MessageRecord);
    this.refs = new JsonKv(bucket, RefIndexEntry);
  }

  async get(account: string, messageUuid: string): Promise<MessageRecord | undefined> {
    return (await this.docs.get(accountKey(account, messageUuid)))?.value;
  }

  async findByRef(account: string, ref: string): Promise<MessageRecord | undefined> {
    const entry = await this.refs.get(indexKey(account, 'ref', ref));
    return entry ? this.get(account, entry.value.message_uuid) : undefined;
  }

  async recordSend(account: string, sent: SentMessage): Promise<MessageRecord> {
    const record: MessageRecord = { ...sent, account_key: account, sent_at: new Date().toISOString() };
    // findByRef needs both (a ref whose record is missing reads as not sent), so neither write need wait for the other.
    await Promise.all([
      this.docs.put(accountKey(account, sent.message_uuid), record),
      this.refs.put(indexKey(account, 'ref', sent.ref), { message_uuid: sent.message_uuid }),
    ]);
    return record;
  }

  /** A message of a Dispatch workflow, recorded when it is first heard of (Vonage sent it, not we). */
  async recordWorkflowMessage(
    account: string,
    message: Required<Pick<MessageRecord, 'message_uuid' | 'channel' | 'to' | 'dispatch_uuid'>>,
  ): Promise<void> {
    try {
      await this.docs.create(accountKey(account, message.message_uuid), { ...message, account_key: account });
    } catch (err) {
      if (!isRevisionConflict(err)) throw err;
    }
  }
}
