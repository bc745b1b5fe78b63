import { randomUUID } from 'node:crypto';
import { ErrorCode, NatsError } from 'nats';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { BUCKETS, CONSUMERS, isTransientFailure, STREAMS } from '#libs/bus';
import { DeadLetters, type PoisonPolicy } from '#libs/deadletters';
import { SwitchboardError } from '#libs/errors';
import type { VumiApiEvent } from '#libs/events';
import { createLogger } from '#libs/logger';
import { ProviderInbox } from '#libs/messaging';
import { deliveryTargets, retrySchedule, startDeliveryWorkers } from '#libs/subscriptions';
import { Timers } from '#libs/timers';
import type { MessageStatusWebhook } from '#libs/vonage';
import { postedEvent, Receiver } from '../subscriptions/receiver.js';
import { subscribe } from '../subscriptions/support.js';
import { useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { DeadLetterList, EventAccepted, UnroutedList } from '../../apps/server/http/answers.js';
import { bodyOf } from '../support/api.js';
import { consumersIdle } from '../support/settled.js';

const MAX_ATTEMPTS = 3;

// The server runs the dispatcher only: the tests run the other consumers themselves, with handlers that fail.
const sb = useSwitchboard({
  roles: ['http', 'dispatcher'],
  env: { SWITCHBOARD_MAX_ATTEMPTS: String(MAX_ATTEMPTS), SWITCHBOARD_RETRY_DELAYS_MS: '40,80' },
});
const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', name: 'poison-test' });

/** What the test's timers carry. */
const TimerPayload = z.looseObject({ id: z.string() });
/** A dead letter's data, parsed back: compared whole. */
function parsedData(data: string | undefined): unknown {
  if (data === undefined) throw new Error('the dead letter keeps no data');
  return JSON.parse(data);
}

const account = () => `acct-${randomUUID().slice(0, 8)}`;
const poison = (): PoisonPolicy => ({ maxAttempts: MAX_ATTEMPTS, delaysMs: [40, 80], deadLetters: new DeadLetters(sb.bus) });
const deadLetters = async (acct: string) => bodyOf(await sb.api.get(`/v1/accounts/${acct}/deadletters`), DeadLetterList).deadletters;
const deadLetterCount = async () => (await sb.bus.jsm.streams.info(STREAMS.deadletter)).state.messages;

/** The one dead letter the account gets. */
const theDeadLetter = (acct: string) =>
  waitFor(`the dead letter of ${acct}`, async () => {
    const list = await deadLetters(acct);
    return list.length > 0 && list;
  }).then((list) => {
    expect(list).toHaveLength(1);
    return list[0]!;
  });

/** Whether the stream still holds a message on the subject (a work queue deletes what was settled). */
const stillStored = (stream: string, subject: string) =>
  sb.bus.jsm.streams.getMessage(stream, { last_by_subj: subject }).then(
    () => true,
    () => false,
  );

const event = (acct: string, eventData: Record<string, unknown> = {}): VumiApiEvent => ({
  event_id: randomUUID(),
  account_key: acct,
  conversation_type: 'poll',
  conversation_key: 'ops-poll',
  event_type: 'outage',
  event_data: eventData,
  timestamp: new Date().toISOString(),
});

const statusWebhook = (acct: string, messageUuid: string): MessageStatusWebhook => ({
  message_uuid: messageUuid,
  to: '447700900001',
  from: 'Switchboard',
  timestamp: new Date().toISOString(),
  status: 'delivered',
  channel: 'sms',
  client_ref: acct,
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a message that fails the same way on every delivery', () => {
  it('is dead-lettered by the dispatcher after its attempts when it throws outside any step (an unrouted event too large to record)', async () => {
    const acct = account();
    const dispatch = vi.spyOn(sb.dispatcher!, 'dispatch');
    // As large as the server takes: recorded as unrouted (in a JSON array), it no longer fits.
    const maxPayload = sb.bus.nc.info!.max_payload;
    const big = event(acct, { blob: '' });
    big.event_data.blob = 'x'.repeat(maxPayload - Buffer.byteLength(JSON.stringify(big)));
    const subject = `events.${acct}.poll.ops-poll.outage`;
    const { seq } = await sb.bus.js.publish(subject, JSON.stringify(big));
    const calls = () => dispatch.mock.calls.filter(([msg]) => msg.seq === seq).length;

    const letter = await theDeadLetter(acct);
    await consumersIdle(sb.bus, ['dispatcher']);
    expect(calls()).toBe(MAX_ATTEMPTS);
    expect(letter).toMatchObject({
      reason: 'poison',
      consumer: CONSUMERS.dispatcher,
      subject,
      attempts: MAX_ATTEMPTS,
      error: { code: ErrorCode.MaxPayloadExceeded },
    });
    // Too large to keep whole in a dead letter as well: it keeps the start, which names the event.
    expect(letter.truncated).toBe(true);
    expect(letter.data).toContain(big.event_id);
    expect((await sb.api.post(`/v1/accounts/${acct}/deadletters/${letter.id}/replay`)).status).toBe(409);

    const next = await sb.api.post(`/v1/accounts/${acct}/events`, {
      conversation_type: 'poll',
      conversation_key: 'ops-poll',
      event_type: 'outage',
      event_data: {},
    });
    await waitFor('the next event, recorded as unrouted', async () => {
      const { unrouted } = bodyOf(await sb.api.get(`/v1/accounts/${acct}/events/unrouted`), UnroutedList);
      return unrouted.some((one) => one.event.event_id === bodyOf(next, EventAccepted).event_id);
    });
    await consumersIdle(sb.bus, ['dispatcher']);
    expect(calls()).toBe(MAX_ATTEMPTS);
    expect(await deadLetters(acct)).toHaveLength(1);
  });

  it('is dead-lettered by the timers after its attempts when its handler throws on every firing, however long it was held back', async () => {
    const acct = account();
    const fired: string[] = [];
    const worker = await new Timers(sb.bus).start({
      handlers: {
        test: async (payload) => {
          const { id } = TimerPayload.parse(payload);
          fired.push(id);
          if (id === 'poison') throw new SwitchboardError('internal', 'this timer cannot be handled');
        },
      },
      concurrency: 4,
      ackWaitMs: 2000,
      log,
      poison: poison(),
    });
    try {
      // Held back until due first: that delivery is not an attempt.
      await new Timers(sb.bus).schedule('test', `${acct}.poison`, Date.now() + 150, { account_key: acct, id: 'poison' });
      const letter = await theDeadLetter(acct);
      await consumersIdle(sb.bus, ['timers']);
      expect(fired.filter((id) => id === 'poison')).toHaveLength(MAX_ATTEMPTS);
      expect(letter).toMatchObject({
        reason: 'poison',
        consumer: CONSUMERS.timers,
        subject: `timers.test.${acct}_poison`,
        attempts: MAX_ATTEMPTS,
      });
      expect(letter.error).toEqual({ code: 'internal', message: 'this timer cannot be handled' });
      expect(parsedData(letter.data)).toMatchObject({ payload: { account_key: acct, id: 'poison' } });
      expect(await stillStored(STREAMS.timers, letter.subject!)).toBe(false);

      await new Timers(sb.bus).schedule('test', `${acct}.fine`, Date.now(), { account_key: acct, id: 'fine' });
      await waitFor('the next timer', () => fired.includes('fine'));
      await consumersIdle(sb.bus, ['timers']);
      expect(fired.filter((id) => id === 'poison')).toHaveLength(MAX_ATTEMPTS);
      expect(await deadLetters(acct)).toHaveLength(1);
    } finally {
      await worker.stop();
    }
  });

  it('is dead-lettered by the provider inbox after its attempts when a listener throws on every delivery of a stored webhook', async () => {
    const acct = account();
    const applied: string[] = [];
    const inbox = new ProviderInbox(sb.bus, log);
    await inbox.start(
      [
        {
          onStatus: async (_account, webhook) => {
            applied.push(webhook.message_uuid);
            if (webhook.message_uuid === 'poison') throw new Error('this status cannot be applied');
          },
        },
      ],
      { ackWaitMs: 2000, poison: poison() },
    );
    try {
      const webhook = statusWebhook(acct, 'poison');
      await inbox.storeStatus(webhook, JSON.stringify(webhook));
      const letter = await theDeadLetter(acct);
      await consumersIdle(sb.bus, ['provider']);
      expect(applied.filter((uuid) => uuid === 'poison')).toHaveLength(MAX_ATTEMPTS);
      expect(letter).toMatchObject({
        reason: 'poison',
        consumer: CONSUMERS.provider,
        attempts: MAX_ATTEMPTS,
        error: { message: 'this status cannot be applied' },
      });
      expect(letter.subject).toMatch(new RegExp(`^provider\\.status\\.${acct}\\.`));
      expect(parsedData(letter.data)).toEqual(webhook);

      const next = statusWebhook(acct, 'fine');
      await inbox.storeStatus(next, JSON.stringify(next));
      await waitFor('the next webhook', () => applied.includes('fine'));
      await consumersIdle(sb.bus, ['provider']);
      expect(applied.filter((uuid) => uuid === 'poison')).toHaveLength(MAX_ATTEMPTS);
      expect(await deadLetters(acct)).toHaveLength(1);
    } finally {
      await inbox.stop();
    }
  });

  it('is dead-lettered by the delivery workers after its attempts when it fails on our side every time (its record cannot be read)', async () => {
    const acct = account();
    const receiver = await Receiver.start();
    const table = await sb.stores.subscriptions.live(log);
    const reads = vi.spyOn(sb.stores.deliveries, 'read');
    try {
      const subscription = await subscribe(sb, acct, { url: receiver.url('/hooks') });
      const workers = await startDeliveryWorkers({
        bus: sb.bus,
        subscriptions: sb.stores.subscriptions,
        table,
        records: sb.stores.deliveries,
        targets: deliveryTargets({ allowPrivate: true }),
        schedule: retrySchedule((ms) => ms),
        deliveryConcurrency: 4,
        timeoutMs: 2000,
        ackWaitMs: 2000,
        log,
        poison: poison(),
      });
      try {
        const deliveryId = `d-${randomUUID()}`;
        const kv = await sb.bus.js.views.kv(BUCKETS.deliveries);
        await kv.put(`${acct}.${subscription.id}.${deliveryId}`, 'not a delivery record');
        const job = { delivery_id: deliveryId, account_key: acct, subscription_id: subscription.id, event: event(acct) };
        const subject = `deliveries.${acct}.${subscription.id}`;
        await sb.bus.js.publish(subject, JSON.stringify(job));
        const attempts = () => reads.mock.calls.filter(([, , id]) => id === deliveryId).length;

        const letter = await theDeadLetter(acct);
        await consumersIdle(sb.bus, ['deliveries']);
        expect(attempts()).toBe(MAX_ATTEMPTS);
        expect(letter).toMatchObject({
          reason: 'poison',
          consumer: CONSUMERS.deliveries,
          subject,
          attempts: MAX_ATTEMPTS,
          error: { code: 'internal' },
        });
        expect(parsedData(letter.data)).toEqual(job);
        expect(await stillStored(STREAMS.deliveries, subject)).toBe(false);
        expect(receiver.at('/hooks')).toHaveLength(0);

        const next = await sb.api.post(`/v1/accounts/${acct}/events`, {
          conversation_type: 'poll',
          conversation_key: 'ops-poll',
          event_type: 'outage',
          event_data: {},
        });
        const [post] = await receiver.waitForPosts('/hooks', 1);
        expect(postedEvent(post!).event_id).toBe(bodyOf(next, EventAccepted).event_id);
        await consumersIdle(sb.bus, ['deliveries']);
        expect(attempts()).toBe(MAX_ATTEMPTS);
        expect(await deadLetters(acct)).toHaveLength(1);
      } finally {
        await workers.stop();
      }
    } finally {
      table.stop();
      await receiver.down();
    }
  });
});

describe('a transient failure', () => {
  it('is told from the others by its nats.js error code, on the error or one it wraps, never by its message', async () => {
    const noResponders = await sb.bus.nc.request(`nobody.${randomUUID()}`, '', { timeout: 1000 }).catch((err: unknown) => err);
    const silent = sb.bus.nc.subscribe(`silent.${randomUUID()}`);
    const timedOut = await sb.bus.nc.request(silent.getSubject(), '', { timeout: 100, noMux: true }).catch((err: unknown) => err);
    silent.unsubscribe();
    const tooLarge = await sb.bus.js
      .publish('events.x.poll.k.e', new Uint8Array(sb.bus.nc.info!.max_payload + 1))
      .catch((err: unknown) => err);

    expect(isTransientFailure(noResponders)).toBe(true);
    expect(isTransientFailure(timedOut)).toBe(true);
    expect(isTransientFailure(NatsError.errorForCode(ErrorCode.Disconnect))).toBe(true);
    expect(isTransientFailure(new SwitchboardError('unavailable', 'the bus is down', undefined, { cause: timedOut }))).toBe(true);
    expect(isTransientFailure(tooLarge)).toBe(false);
    expect(tooLarge).toBeInstanceOf(NatsError);
    expect(tooLarge).toMatchObject({ code: ErrorCode.MaxPayloadExceeded });
    expect(isTransientFailure(new SwitchboardError('internal', 'TIMEOUT'))).toBe(false);
    expect(isTransientFailure(new Error(ErrorCode.Timeout))).toBe(false);
  });

  it('is retried past the attempts until it heals, and never dead-lettered', async () => {
    const acct = account();
    const outage = [
      NatsError.errorForCode(ErrorCode.Timeout),
      NatsError.errorForCode(ErrorCode.Disconnect),
      NatsError.errorForCode(ErrorCode.JetStreamNotEnabled, new Error('jetstream temporarily unavailable')),
      new SwitchboardError('unavailable', 'the bus is unreachable', undefined, {
        cause: NatsError.errorForCode(ErrorCode.ConnectionRefused),
      }),
      NatsError.errorForCode(ErrorCode.Timeout),
    ];
    expect(outage.length).toBeGreaterThan(MAX_ATTEMPTS);
    let firings = 0;
    const stored = await deadLetterCount();
    const worker = await new Timers(sb.bus).start({
      handlers: {
        test: async () => {
          const failure = outage[firings++];
          if (failure) throw failure;
        },
      },
      concurrency: 4,
      ackWaitMs: 2000,
      log,
      poison: poison(),
    });
    try {
      await new Timers(sb.bus).schedule('test', `${acct}.outage`, Date.now(), { account_key: acct, id: 'outage' });
      await waitFor('the timer to succeed', () => firings === outage.length + 1);
      await consumersIdle(sb.bus, ['timers']);
      expect(firings).toBe(outage.length + 1);
      expect(await stillStored(STREAMS.timers, `timers.test.${acct}_outage`)).toBe(false);
      expect(await deadLetterCount()).toBe(stored);
      expect(await deadLetters(acct)).toHaveLength(0);
    } finally {
      await worker.stop();
    }
  });
});
