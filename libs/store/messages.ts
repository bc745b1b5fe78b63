import type { KvBucket } from '../bus/index.js';
import { z } from 'zod';
import { Token } from '../events/index.js';
import { CHANNEL_TYPES, MessageStatus } from '../vonage/index.js';
import { isRevisionConflict, JsonKv } from './jsonKv.js';
import { accountKey, indexKey } from './keys.js';

export const StatusReceipt = z.object({
  status: MessageStatus,
  /** When the provider says it happened. */
  at: z.string(),
  error: z.record(z.string(), z.unknown()).optional(),
});

export const MessageRecord = z.object({
  message_uuid: z.string().min(1),
  account_key: Token,
  channel: z.enum(CHANNEL_TYPES).optional(),
  to: z.string().optional(),
  from: z.string().optional(),
  text: z.string().optional(),
  /** Who sent it: `step:<event>:<route>:<step>` or `escalation:<id>:<attempt>`. */
  ref: z.string().optional(),
  sent_at: z.string().optional(),
  statuses: z.array(StatusReceipt),
  updated_at: z.string(),
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

function sameReceipt(a: StatusReceipt, b: StatusReceipt): boolean {
  return a.status === b.status && a.at === b.at;
}

/**
 * Every message sent and every receipt the provider reported for it. A receipt may arrive
 * before the send is recorded (the provider can be faster than our own write): both writes
 * merge into the same document under compare-and-set, so neither is lost.
 */
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
    const key = accountKey(account, sent.message_uuid);
    const now = new Date().toISOString();
    const fresh: MessageRecord = { ...sent, account_key: account, sent_at: now, statuses: [], updated_at: now };
    let record = fresh;
    try {
      await this.docs.create(key, fresh);
    } catch (err) {
      if (!isRevisionConflict(err)) throw err;
      // A receipt got here first: keep it.
      record = (await this.docs.mutate(key, (current) => ({ ...fresh, statuses: current?.statuses ?? [] })))!.value;
    }
    await this.refs.put(indexKey(account, 'ref', sent.ref), { message_uuid: sent.message_uuid });
    return record;
  }

  /** Adds a receipt once; returns the record and whether the receipt was new. */
  async recordStatus(account: string, messageUuid: string, receipt: StatusReceipt): Promise<{ record: MessageRecord; added: boolean }> {
    let added = false;
    const saved = await this.docs.mutate(accountKey(account, messageUuid), (current) => {
      if (current?.statuses.some((known) => sameReceipt(known, receipt))) {
        added = false;
        return undefined;
      }
      added = true;
      return {
        ...(current ?? { message_uuid: messageUuid, account_key: account }),
        statuses: [...(current?.statuses ?? []), receipt],
        updated_at: new Date().toISOString(),
      };
    });
    return { record: saved!.value, added };
  }
}
