import { randomUUID } from 'node:crypto';
import { ErrorCode } from 'nats';
import { describe, expect, it } from 'vitest';
import { STREAMS } from '#libs/bus';
import { UnroutedEvents } from '#libs/dispatcher';
import type { VumiApiEvent } from '#libs/events';
import { useTestBus } from '../support/nats.js';

const suite = useTestBus();

function event(account: string, event_data: Record<string, unknown> = {}): VumiApiEvent {
  return {
    event_id: randomUUID(),
    account_key: account,
    conversation_type: 'poll',
    conversation_key: 'batch',
    event_type: 'unmatched',
    event_data,
    timestamp: new Date().toISOString(),
  };
}

/** How many messages UNROUTED holds for an account. */
async function storedMessages(account: string): Promise<number> {
  const info = await suite.bus.jsm.streams.info(STREAMS.unrouted, { subjects_filter: `unrouted.${account}.>` });
  return Object.values(info.state.subjects ?? {}).reduce((sum, count) => sum + count, 0);
}

describe('unrouted events recorded in one turn', () => {
  it('are stored in one message per account', async () => {
    const unrouted = new UnroutedEvents(suite.bus);
    const [a, b] = [`acct-${randomUUID().slice(0, 8)}`, `acct-${randomUUID().slice(0, 8)}`];
    await Promise.all([
      ...Array.from({ length: 40 }, () => unrouted.record(event(a))),
      ...Array.from({ length: 10 }, () => unrouted.record(event(b))),
    ]);
    expect([await storedMessages(a), await storedMessages(b)]).toEqual([1, 1]);
    expect(await unrouted.list(a, 100)).toHaveLength(40);
  });

  it("fail one by one: an event too large for NATS fails alone, its account's other events and other accounts' are stored", async () => {
    const unrouted = new UnroutedEvents(suite.bus);
    const [a, b] = [`acct-${randomUUID().slice(0, 8)}`, `acct-${randomUUID().slice(0, 8)}`];
    const records = [
      ...Array.from({ length: 30 }, (_, n) => unrouted.record(event(a, { n }))),
      // Over nats.conf's max_payload (1 MB): a message it shared would be refused whole.
      unrouted.record(event(a, { blob: 'x'.repeat(1_100_000) })),
      ...Array.from({ length: 30 }, (_, n) => unrouted.record(event(a, { n: 30 + n }))),
      ...Array.from({ length: 20 }, (_, n) => unrouted.record(event(b, { n }))),
    ];
    const outcomes = await Promise.allSettled(records);

    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(80);
    expect(outcomes[30]).toMatchObject({ status: 'rejected', reason: { code: ErrorCode.MaxPayloadExceeded } });
    expect((await unrouted.list(a, 100)).map((listed) => listed.event.event_data.n).sort((x, y) => Number(x) - Number(y))).toEqual(
      Array.from({ length: 60 }, (_, n) => n),
    );
    expect(await unrouted.list(b, 100)).toHaveLength(20);
  });

  it('keep each message within its size: a large event starts a message of its own', async () => {
    const unrouted = new UnroutedEvents(suite.bus);
    const account = `acct-${randomUUID().slice(0, 8)}`;
    // Five of 200 KB: no two fit in a message's 256 KB, so none joins a message that a
    // large event could then take past NATS's 1 MB.
    await Promise.all(Array.from({ length: 5 }, (_, n) => unrouted.record(event(account, { n, blob: 'x'.repeat(200_000) }))));
    expect(await storedMessages(account)).toBe(5);
  });
});
