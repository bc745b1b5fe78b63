import { describe, expect, it } from 'vitest';
import { STREAMS } from '#libs/bus';
import { createLogger } from '#libs/logger';
import { ProviderInbox, StoredReceipts } from '#libs/messaging';
import { MessageStatusWebhook, type MessageStatus } from '#libs/vonage';
import { useTestBus } from '../support/nats.js';

const suite = useTestBus();

const log = createLogger({ level: 'silent' });

function statusWebhook(status: MessageStatus, at: string): MessageStatusWebhook {
  return MessageStatusWebhook.parse({
    message_uuid: 'm-1',
    to: '447700900001',
    from: 'Company',
    timestamp: at,
    status,
    channel: 'sms',
    client_ref: 'acct',
  });
}

describe('stored receipts', () => {
  it('finds the statuses this process filed in memory, and those another process filed on their streams', async () => {
    const { bus } = suite;
    const inbox = new ProviderInbox(bus, log);
    const here = new StoredReceipts(bus, inbox.filed);
    const elsewhere = new StoredReceipts(bus, new ProviderInbox(bus, log).filed);
    const submitted = statusWebhook('submitted', '2026-11-30T10:00:00.000Z');
    const delivered = statusWebhook('delivered', '2026-11-30T10:00:01.000Z');
    // Filed out of order, as webhooks may come: a timeline is in the provider's time order.
    for (const webhook of [delivered, submitted]) await inbox.storeStatus(webhook, JSON.stringify(webhook));
    const timeline = [
      { status: 'submitted', at: submitted.timestamp },
      { status: 'delivered', at: delivered.timestamp },
    ];
    const wanted = ['submitted', 'delivered', 'read'] as const;
    expect(await here.statuses('acct', 'm-1', wanted)).toEqual(timeline);
    expect(await elsewhere.statuses('acct', 'm-1', wanted)).toEqual(timeline);

    // With the streams emptied, only the process that filed them still knows them.
    await Promise.all([STREAMS.provider, STREAMS.receipts].map((stream) => bus.jsm.streams.purge(stream)));
    expect(await here.statuses('acct', 'm-1', wanted)).toEqual(timeline);
    expect(await elsewhere.statuses('acct', 'm-1', wanted)).toEqual([]);
  });
});
