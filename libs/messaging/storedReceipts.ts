import { jsonOrUndefined, lastBySubject, readRecent, recordJson, STREAMS, type Bus } from '#libs/bus';
import {
  DispatchMessageStatusWebhook,
  InboundMessageWebhook,
  MESSAGE_STATUSES,
  MessageStatusWebhook,
  type MessageStatus,
} from '#libs/vonage';
import { providerFilings, type Filing } from './providerFilings.js';
import type { RecentStatuses } from './recentStatuses.js';
import { receiptOf, type StoredReceipt } from './storedReceipt.js';

function byTime(receipts: StoredReceipt[]): StoredReceipt[] {
  return receipts.sort((a, b) => a.at.localeCompare(b.at));
}

/**
 * The webhooks stored on PROVIDER, looked up directly: the status timelines of messages, and what
 * the escalation engine asks before an expiry moves an escalation on (a receipt stored but not
 * yet applied, as when the workers run behind under load, must win over the expiry, or a user
 * who read in time would be passed over). Statuses this process filed lately are taken from
 * memory (`RecentStatuses`) first.
 */
export class StoredReceipts {
  constructor(
    private readonly bus: Bus,
    private readonly recent: RecentStatuses,
  ) {}

  private async last(filing: Filing): Promise<unknown> {
    const data = await lastBySubject(this.bus, filing.stream, filing.subject);
    return data && jsonOrUndefined(data);
  }

  /** The status filed under `filing`, if any, with `schema` the webhook it must be. */
  private async status(
    filing: Filing,
    schema: typeof MessageStatusWebhook | typeof DispatchMessageStatusWebhook,
  ): Promise<StoredReceipt[]> {
    const remembered = this.recent.get(filing.subject);
    if (remembered) return [remembered];
    const webhook = schema.safeParse(await this.last(filing));
    return webhook.success ? [receiptOf(webhook.data)] : [];
  }

  /** The latest stored receipt of each asked status for a message we sent. */
  async statuses(account: string, messageUuid: string, wanted: readonly MessageStatus[] = MESSAGE_STATUSES): Promise<StoredReceipt[]> {
    const found = await Promise.all(
      wanted.map((status) => this.status(providerFilings.status(account, messageUuid, status), MessageStatusWebhook)),
    );
    return byTime(found.flat());
  }

  /** A Dispatch workflow message's timeline. */
  async dispatchMessageStatuses(dispatchUuid: string, messageUuid: string): Promise<StoredReceipt[]> {
    const found = await Promise.all(
      MESSAGE_STATUSES.map((status) =>
        this.status(providerFilings.dispatchStatus(dispatchUuid, messageUuid, status), DispatchMessageStatusWebhook),
      ),
    );
    return byTime(found.flat());
  }

  /** The message the provider accepted for the send of this ref, by its `submitted` webhook, if one is stored. */
  async acceptedSend(account: string, ref: string): Promise<string | undefined> {
    const filed = (await this.last(providerFilings.acceptedSend(account, ref))) as { message_uuid?: unknown } | undefined;
    return typeof filed?.message_uuid === 'string' ? filed.message_uuid : undefined;
  }

  /** When the address last wrote to us on the channel, if it did. */
  async lastReply(channel: string, from: string): Promise<string | undefined> {
    const inbound = InboundMessageWebhook.safeParse(await this.last(providerFilings.inbound(channel, from)));
    return inbound.success ? inbound.data.timestamp : undefined;
  }

  /** Every status stored for a Dispatch workflow's messages. */
  async dispatchStatuses(dispatchUuid: string): Promise<DispatchMessageStatusWebhook[]> {
    const records = await readRecent(this.bus, STREAMS.provider, providerFilings.dispatchAll(dispatchUuid), 1000);
    return records.flatMap((record) => {
      const webhook = DispatchMessageStatusWebhook.safeParse(recordJson(record));
      return webhook.success ? [webhook.data] : [];
    });
  }
}
