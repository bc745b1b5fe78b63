import { describe, expect, it } from 'vitest';
import { useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { postedEvent, Receiver } from './receiver.js';
import { verifyStandardWebhook } from './standardWebhooks.js';
import { deliveries, newAccount, publish, settled, subscribe } from './support.js';
import { Delivery, SubscriptionView, UnroutedList } from '../../apps/server/http/answers.js';
import { bodyOf, errorOf } from '../support/api.js';

// 24 h pass in 4.3 s: retries 1 ms doubling up to 180 ms.
const WINDOW_MS = 24 * 3600 * 1000 * 0.00005;
const sb = useSwitchboard({ env: { SWITCHBOARD_TIME_SCALE: '0.00005' } });

describe('dead deliveries', () => {
  it('gives a delivery up after the (scaled) 24 h, disables the subscription that failed all along, says so on the bus, and replays the delivery once enabled', async () => {
    const receiver = await Receiver.start();
    try {
      const account = newAccount();
      const broken = await subscribe(sb, account, { url: receiver.url('/broken') });
      const healthy = await subscribe(sb, account, { url: receiver.url('/healthy') });
      receiver.answer('/broken', () => ({ status: 500, body: 'database is on fire' }));
      const started = Date.now();
      const eventId = await publish(sb, account, { event_type: 'escalation_exhausted', event_data: { escalation_id: 'esc-9' } });

      const dead = await waitFor(
        'the dead delivery',
        async () => {
          const [newest] = await deliveries(sb, account, broken.id);
          return newest?.status === 'dead' && newest;
        },
        WINDOW_MS + 10_000,
      );
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(WINDOW_MS * 0.95);
      expect(dead).toMatchObject({ dead_reason: 'retries_exhausted', event: { event_id: eventId } });
      expect(dead.attempt_count).toBeGreaterThanOrEqual(20);
      expect(dead.attempt_count).toBe(receiver.at('/broken').length);
      expect(dead.attempts.at(-1)).toMatchObject({ status: 500, response: 'database is on fire', error: 'HTTP 500' });
      // Its last try came at the end of its window, not an hour's worth (scaled) before it; nats-server
      // times the redelivery on its own clock, which may run a millisecond or two ahead of this one.
      expect(Date.parse(dead.attempts.at(-1)!.at) - Date.parse(dead.attempts[0]!.at)).toBeGreaterThanOrEqual(WINDOW_MS - 5);
      expect(dead.window_started_at).toBe(dead.attempts[0]!.at);
      expect(new Set(receiver.at('/broken').map((post) => post.headers['webhook-id']))).toEqual(new Set([dead.id]));

      // Failing for the whole window disabled it, and only it; the bus says so.
      const disabled = await waitFor('the subscription to be disabled', async () => {
        const one = bodyOf(await sb.api.get(`/v1/accounts/${account}/subscriptions/${broken.id}`), SubscriptionView);
        return one.disabled?.announced && one;
      });
      expect(disabled).toMatchObject({ enabled: false, disabled: { reason: 'failing', announced: true } });
      expect(Date.parse(disabled.disabled!.at) - Date.parse(disabled.disabled!.failing_since)).toBeGreaterThanOrEqual(WINDOW_MS);
      expect((await sb.api.get(`/v1/accounts/${account}/subscriptions/${healthy.id}`)).body).toMatchObject({ enabled: true });
      expect(receiver.at('/healthy').map((post) => postedEvent(post).event_id)).toContain(eventId);
      const announced = await waitFor('subscription_disabled on the bus', async () => {
        const { unrouted } = bodyOf(await sb.api.get(`/v1/accounts/${account}/events/unrouted`), UnroutedList);
        return unrouted.find((one) => one.event.event_type === 'subscription_disabled')?.event;
      });
      expect(announced).toMatchObject({
        account_key: account,
        conversation_type: 'subscription',
        conversation_key: broken.id,
        event_data: {
          subscription_id: broken.id,
          reason: 'failing',
          failing_since: disabled.disabled!.failing_since,
          last_error: 'HTTP 500',
        },
      });
      await settled(sb);
      // The announcement went to the healthy subscription too (it takes every event), once.
      expect(receiver.at('/healthy').filter((post) => postedEvent(post).event_type === 'subscription_disabled')).toHaveLength(1);

      // Disabled: new events are not queued for it.
      const posts = receiver.at('/broken').length;
      await publish(sb, account, { event_type: 'escalation_read' });
      await settled(sb);
      expect(receiver.at('/broken')).toHaveLength(posts);
      expect(await deliveries(sb, account, broken.id)).toHaveLength(1);

      // A replay waits for the subscription to be enabled again, then sends the same delivery.
      const replayPath = `/v1/accounts/${account}/subscriptions/${broken.id}/deliveries/${dead.id}/replay`;
      const refused = await sb.api.post(replayPath);
      expect(refused.status).toBe(409);
      expect(errorOf(refused).message).toMatch(/disabled/);
      receiver.answer('/broken', () => ({ status: 204 }));
      const enabled = await sb.api.call('PATCH', `/v1/accounts/${account}/subscriptions/${broken.id}`, { enabled: true });
      expect(enabled.body).toMatchObject({ enabled: true });
      expect(enabled.body).not.toHaveProperty('disabled');
      expect(enabled.body).not.toHaveProperty('failing_since');

      const replayed = await sb.api.post(replayPath);
      expect(replayed.status).toBe(202);
      expect(replayed.body).toMatchObject({ id: dead.id, replays: 1 });
      const [post] = (await receiver.waitForPosts('/broken', posts + 1)).slice(posts);
      expect(post!.headers['webhook-id']).toBe(dead.id);
      expect(postedEvent(post!).event_id).toBe(eventId);
      expect(verifyStandardWebhook(broken.secret, post!.headers, post!.body)).toBe(true);
      await settled(sb);
      const answer = await sb.api.get(`/v1/accounts/${account}/subscriptions/${broken.id}/deliveries/${dead.id}`);
      const after = bodyOf(answer, Delivery);
      expect(after).toMatchObject({ status: 'succeeded', replays: 1, attempt_count: dead.attempt_count + 1 });
      expect(after.attempts.at(-1)).toMatchObject({ status: 204 });
      expect(answer.body).not.toHaveProperty('dead_reason');

      // Only a dead delivery is replayed.
      const again = await sb.api.post(replayPath);
      expect(again.status).toBe(409);
      expect(errorOf(again).message).toMatch(/succeeded/);
      await settled(sb);
      expect(receiver.at('/broken')).toHaveLength(posts + 1);
    } finally {
      await receiver.down();
    }
  }, 60_000);

  it('marks what is still queued for a subscription its owner disabled as dead, and replayable', async () => {
    const receiver = await Receiver.start();
    try {
      const account = newAccount();
      const sub = await subscribe(sb, account, { url: receiver.url('/later') });
      receiver.answer('/later', () => ({ status: 503 }));
      await publish(sb, account, { event_type: 'escalation_read' });
      await receiver.waitForPosts('/later', 1);
      await sb.api.call('PATCH', `/v1/accounts/${account}/subscriptions/${sub.id}`, { enabled: false });
      const dead = await waitFor('the delivery to die', async () => {
        const [newest] = await deliveries(sb, account, sub.id);
        return newest?.status === 'dead' && newest;
      });
      expect(dead.dead_reason).toBe('subscription_disabled');
      await settled(sb);
      const tries = receiver.at('/later').length;

      receiver.answer('/later', () => ({ status: 200 }));
      await sb.api.call('PATCH', `/v1/accounts/${account}/subscriptions/${sub.id}`, { enabled: true });
      expect((await sb.api.post(`/v1/accounts/${account}/subscriptions/${sub.id}/deliveries/${dead.id}/replay`)).status).toBe(202);
      await receiver.waitForPosts('/later', tries + 1);
      await settled(sb);
      expect((await deliveries(sb, account, sub.id))[0]).toMatchObject({ id: dead.id, status: 'succeeded', replays: 1 });
    } finally {
      await receiver.down();
    }
  });
});
