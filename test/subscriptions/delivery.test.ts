import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Delivery, DeliveryList, type SubscriptionView } from '../../apps/server/http/answers.js';
import { bodyOf } from '../support/api.js';
import { startTestNats, type TestNats } from '../support/nats.js';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { postedEvent, Receiver } from './receiver.js';
import { verifyStandardWebhook } from './standardWebhooks.js';
import { deliveries, newAccount, publish, settled, subscribe } from './support.js';

// 24 h of retries pass in 8.6 s: 5 s becomes 1 ms, doubling up to 360 ms.
const ENV = { SWITCHBOARD_TIME_SCALE: '0.0001', SWITCHBOARD_DELIVERY_TIMEOUT_MS: '500', LOG_LEVEL: 'debug' };

let nats: TestNats;
let sb: TestSwitchboard;
let receiver: Receiver;
const logLines: string[] = [];
const secrets: string[] = [];
const logTo = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logLines.push(chunk.toString());
    done();
  },
});

const start = () => startTestSwitchboard(nats.url, { env: ENV, logTo });

beforeAll(async () => {
  nats = await startTestNats();
  sb = await start();
  receiver = await Receiver.start();
});

afterAll(async () => {
  await receiver?.down();
  await sb?.close();
  await nats?.stop();
});

async function subscription(account: string, path: string, filter?: Record<string, unknown>): Promise<SubscriptionView> {
  const created = await subscribe(sb, account, { url: receiver.url(path), ...(filter ? { filter } : {}) });
  secrets.push(created.secret);
  return created;
}

describe('webhook deliveries', () => {
  it('POSTs the event signed as Standard Webhooks says, verifiable by a receiver', async () => {
    const account = newAccount();
    const sub = await subscription(account, '/signed');
    const eventId = await publish(sb, account, { event_type: 'escalation_read', event_data: { escalation_id: 'esc-1', user: 'Ann' } });
    const [post] = await receiver.waitForPosts('/signed', 1);

    expect(post!.headers['content-type']).toBe('application/json');
    const event = postedEvent(post!);
    expect(event).toMatchObject({
      event_id: eventId,
      account_key: account,
      event_type: 'escalation_read',
      event_data: { escalation_id: 'esc-1', user: 'Ann' },
    });
    expect(verifyStandardWebhook(sub.secret, post!.headers, post!.body)).toBe(true);
    // The same check refuses what was not signed with this secret, or not this body, or not now.
    const other = await subscription(account, '/unused');
    expect(verifyStandardWebhook(other.secret, post!.headers, post!.body)).toBe(false);
    expect(verifyStandardWebhook(sub.secret, post!.headers, post!.body.replace('Ann', 'Bob'))).toBe(false);
    expect(verifyStandardWebhook(sub.secret, post!.headers, post!.body, Date.now() / 1000 + 3600)).toBe(false);
    expect(Math.abs(Number(post!.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);

    const delivery = await waitFor('the delivery record', async () => {
      const list = await deliveries(sb, account, sub.id);
      return list.length === 1 && list[0]!.status === 'succeeded' && list[0];
    });
    expect(delivery.id).toBe(post!.headers['webhook-id']);
    expect(delivery).toMatchObject({ subscription_id: sub.id, attempt_count: 1, event: { event_id: eventId } });
    expect(delivery.attempts).toEqual([expect.objectContaining({ n: 1, status: 200 })]);
  });

  it('delivers exactly the events each filter takes: wildcards, conversation, account', async () => {
    const account = newAccount();
    await subscription(account, '/escalations', { event_types: ['escalation_*'] });
    await subscription(account, '/ops-poll', { event_types: ['poll_complete'], conversation_type: 'poll', conversation_key: 'ops-poll' });
    await subscription(account, '/monitor', { conversation_type: 'monitor' });
    const off = await subscription(account, '/disabled');
    await sb.api.call('PATCH', `/v1/accounts/${account}/subscriptions/${off.id}`, { enabled: false });

    const send = (event_type: string, conversation_type: string, conversation_key: string, acct = account) =>
      publish(sb, acct, { event_type, conversation_type, conversation_key });
    const pollComplete = await send('poll_complete', 'poll', 'ops-poll');
    await send('poll_complete', 'poll', 'other-poll');
    const read = await send('escalation_read', 'monitor', 'main');
    const exhausted = await send('escalation_exhausted', 'monitor', 'main');
    const started = await send('escalation_started', 'poll', 'ops-poll');
    const down = await send('server_down', 'monitor', 'main');
    await send('escalationread', 'poll', 'ops-poll');
    await send('escalation_read', 'monitor', 'main', newAccount());
    await settled(sb);

    const got = (path: string) =>
      receiver
        .at(path)
        .map((post) => postedEvent(post).event_id)
        .sort();
    expect(got('/escalations')).toEqual([read, exhausted, started].sort());
    expect(got('/ops-poll')).toEqual([pollComplete]);
    expect(got('/monitor')).toEqual([read, exhausted, down].sort());
    expect(got('/disabled')).toEqual([]);
  });

  it('retries a 5xx with growing delays and the same webhook-id, and records every attempt and response', async () => {
    const account = newAccount();
    const sub = await subscription(account, '/flaky');
    receiver.answer('/flaky', (_post, count) => (count <= 2 ? { status: 503, body: 'try later' } : { status: 200, body: 'thanks' }));
    await publish(sb, account, { event_type: 'escalation_exhausted' });
    const posts = await receiver.waitForPosts('/flaky', 3);
    await settled(sb);

    expect(receiver.at('/flaky')).toHaveLength(3);
    expect(new Set(posts.map((post) => post.headers['webhook-id'])).size).toBe(1);
    expect(posts.every((post) => verifyStandardWebhook(sub.secret, post.headers, post.body))).toBe(true);
    expect(new Set(posts.map((post) => post.body)).size).toBe(1);
    // 1 ms, then 2 ms, at this time scale.
    expect(posts[2]!.at - posts[0]!.at).toBeGreaterThanOrEqual(3);

    const [delivery] = await deliveries(sb, account, sub.id);
    expect(delivery).toMatchObject({ id: posts[0]!.headers['webhook-id'], status: 'succeeded', attempt_count: 3 });
    expect(delivery!.attempts.map((attempt) => [attempt.n, attempt.status, attempt.response, attempt.error])).toEqual([
      [1, 503, 'try later', 'HTTP 503'],
      [2, 503, 'try later', 'HTTP 503'],
      [3, 200, 'thanks', undefined],
    ]);
    expect(delivery!.attempts.every((attempt) => attempt.duration_ms >= 0 && !Number.isNaN(Date.parse(attempt.at)))).toBe(true);
    const one = await sb.api.get(`/v1/accounts/${account}/subscriptions/${sub.id}/deliveries/${delivery!.id}`);
    expect(bodyOf(one, Delivery)).toEqual(delivery);
  });

  it('lists deliveries most recent first', async () => {
    const account = newAccount();
    const sub = await subscription(account, '/ordered');
    const first = await publish(sb, account, { event_type: 'a' });
    await receiver.waitForPosts('/ordered', 1);
    const second = await publish(sb, account, { event_type: 'b' });
    await receiver.waitForPosts('/ordered', 2);
    await settled(sb);
    expect((await deliveries(sb, account, sub.id)).map((one) => one.event.event_id)).toEqual([second, first]);
    const limited = await sb.api.get(`/v1/accounts/${account}/subscriptions/${sub.id}/deliveries?limit=1`);
    expect(bodyOf(limited, DeliveryList).deliveries.map((one) => one.event.event_id)).toEqual([second]);
  });

  it('counts a timeout and a redirect as failures, and follows no redirect', async () => {
    const account = newAccount();
    const slow = await subscription(account, '/slow');
    const moved = await subscription(account, '/moved');
    receiver.answer('/slow', () => ({ status: 200, delayMs: 2000 }));
    receiver.answer('/moved', () => ({ status: 302, headers: { location: receiver.url('/elsewhere') } }));
    await publish(sb, account, { event_type: 'escalation_read' });

    const timedOut = await waitFor('a timed-out attempt', async () => (await deliveries(sb, account, slow.id))[0]?.attempts[0]);
    expect(timedOut.error).toBe('timed out after 500 ms');
    expect(timedOut.status).toBeUndefined();
    expect(timedOut.duration_ms).toBeGreaterThanOrEqual(450);
    const redirected = await waitFor('a redirected attempt', async () => (await deliveries(sb, account, moved.id))[0]?.attempts[0]);
    expect(redirected.status).toBe(302);
    expect(redirected.error).toMatch(/^redirected \(HTTP 302\) to http:\/\/127\.0\.0\.1:\d+\/elsewhere: redirects are not followed$/);
    expect((await deliveries(sb, account, moved.id))[0]!.status).toBe('retrying');
    expect(receiver.at('/elsewhere')).toEqual([]);

    // Deleting a subscription drops what is still queued for it.
    for (const sub of [slow, moved]) expect((await sb.api.delete(`/v1/accounts/${account}/subscriptions/${sub.id}`)).status).toBe(204);
    await settled(sb);
  });

  it('loses nothing while the receiver is down, across a restart of Switchboard: every delivery arrives once, with its webhook-id', async () => {
    const account = newAccount();
    const sub = await subscription(account, '/outage');
    await receiver.down();
    const published = new Set<string>();
    for (let n = 0; n < 20; n++) published.add(await publish(sb, account, { event_type: 'escalation_read', event_data: { n } }));

    const failing = await waitFor('every delivery to have failed at least once', async () => {
      const list = await deliveries(sb, account, sub.id);
      return list.length === 20 && list.every((one) => one.status === 'retrying' && one.attempt_count >= 1) && list;
    });
    expect(failing[0]!.attempts[0]!.error).toMatch(/ECONNREFUSED/);

    // Switchboard goes away with all twenty still to deliver; another one takes them from the stream.
    await sb.close();
    await receiver.up();
    sb = await start();
    const posts = await receiver.waitForPosts('/outage', 20);
    await settled(sb);

    const received = receiver.at('/outage');
    expect(new Set(received.map((post) => postedEvent(post).event_id))).toEqual(published);
    const ids = received.map((post) => post.headers['webhook-id']);
    expect(new Set(ids).size).toBe(20);
    expect(received).toHaveLength(20);
    expect(posts.every((post) => verifyStandardWebhook(sub.secret, post.headers, post.body))).toBe(true);
    const records = await deliveries(sb, account, sub.id);
    expect(records.map((one) => one.status)).toEqual(Array(20).fill('succeeded'));
    expect(new Set(records.map((one) => one.id))).toEqual(new Set(ids));
    expect(records.every((one) => one.attempt_count >= 2)).toBe(true);
    // The subscription was failing and is healthy again.
    expect((await sb.api.get(`/v1/accounts/${account}/subscriptions/${sub.id}`)).body).not.toHaveProperty('failing_since');
  });

  it('keeps deliveries waiting for their next try across a restart of the NATS server', async () => {
    const account = newAccount();
    const sub = await subscription(account, '/nats-restart');
    receiver.answer('/nats-restart', () => ({ status: 503 }));
    const published = new Set<string>();
    for (let n = 0; n < 5; n++) published.add(await publish(sb, account, { event_type: 'escalation_read', event_data: { n } }));
    await waitFor('every delivery to have failed once', async () => {
      const list = await deliveries(sb, account, sub.id);
      return list.length === 5 && list.every((one) => one.status === 'retrying');
    });

    await nats.restart();
    // Both in one tick: every POST counted after this point was answered 200.
    receiver.answer('/nats-restart', () => ({ status: 200 }));
    const failedPosts = receiver.at('/nats-restart').length;
    await waitFor(
      'every delivery to succeed',
      async () => {
        const list = await deliveries(sb, account, sub.id);
        return list.length === 5 && list.every((one) => one.status === 'succeeded');
      },
      20_000,
    );
    const succeeded = receiver.at('/nats-restart').slice(failedPosts);
    expect(new Set(succeeded.map((post) => postedEvent(post).event_id))).toEqual(published);
    expect(succeeded).toHaveLength(5);
  });

  it('never logs a subscription secret', () => {
    const log = logLines.join('');
    expect(log).toMatch(/"subscription_id":"sub_/);
    expect(secrets.length).toBeGreaterThan(5);
    for (const secret of secrets) expect(log).not.toContain(secret.slice('whsec_'.length));
  });
});
