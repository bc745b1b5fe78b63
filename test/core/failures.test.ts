import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DeadLetterList, EventAccepted, Replayed, StoredDeadLetter, UnroutedList } from '../../apps/server/http/answers.js';
import { bodyOf } from '../support/api.js';
import { useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { consumersIdle } from '../support/settled.js';

const sb = useSwitchboard();

const account = () => `acct-${randomUUID().slice(0, 8)}`;
const sms = (id_num: string, text: string) => ({ handler: 'send_message', config: { to: { type: 'sms', id_num }, text } });
const publish = (acct: string, eventType: string, data: Record<string, unknown> = {}) =>
  sb.api.post(`/v1/accounts/${acct}/events`, {
    conversation_type: 'poll',
    conversation_key: 'ops-poll',
    event_type: eventType,
    event_data: data,
  });
const deadLetters = async (acct: string) => bodyOf(await sb.api.get(`/v1/accounts/${acct}/deadletters`), DeadLetterList).deadletters;

describe('failures', () => {
  it('retries a failing step with growing delays, dead-letters it after the last attempt, and replays it', async () => {
    const acct = account();
    const sim = sb.provider.simulator!;
    sim.setScenario('447700900701', { outcome: 'delivered', fail_first: { count: 1000, status: 503 } });
    await sb.api.put(`/v1/accounts/${acct}/routes/alert`, { match: { event_type: 'outage' }, steps: [sms('447700900701', 'outage!')] });

    const started = Date.now();
    const published = await publish(acct, 'outage');
    const letter = await waitFor('the dead letter', async () => (await deadLetters(acct))[0]);
    // Three retries after 50, 100 and 150 ms (the test's SWITCHBOARD_RETRY_DELAYS_MS).
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(letter).toMatchObject({ reason: 'handler_failed', route_id: 'alert', step: 0, handler: 'send_message', attempts: 4 });
    expect(letter.event?.event_id).toBe(bodyOf(published, EventAccepted).event_id);
    expect(letter.error.code).toBe('provider_unavailable');
    expect(bodyOf(await sb.api.get(`/v1/accounts/${acct}/deadletters/${letter.id}`), StoredDeadLetter).id).toBe(letter.id);
    expect(sim.messages({ to: '447700900701' })).toHaveLength(0);

    // The provider recovers: the replay sends it, and the dead letter is gone.
    sim.setScenario('447700900701', { outcome: 'delivered' });
    const replay = await sb.api.post(`/v1/accounts/${acct}/deadletters/${letter.id}/replay`);
    expect(replay.status).toBe(202);
    expect(bodyOf(replay, Replayed).event_id).toBe(bodyOf(published, EventAccepted).event_id);
    await waitFor('the replayed message', () => sim.messages({ to: '447700900701' }).length === 1);
    expect(await deadLetters(acct)).toHaveLength(0);
    expect((await sb.api.post(`/v1/accounts/${acct}/deadletters/${letter.id}/replay`)).status).toBe(404);
  });

  it("sends a succeeded route's message once while another route of the same event is retried", async () => {
    const acct = account();
    sb.provider.simulator!.setScenario('447700900711', { outcome: 'delivered', fail_first: { count: 1000, status: 500 } });
    await sb.api.put(`/v1/accounts/${acct}/routes/a-works`, { match: { event_type: 'outage' }, steps: [sms('447700900710', 'works')] });
    await sb.api.put(`/v1/accounts/${acct}/routes/b-fails`, { match: { event_type: 'outage' }, steps: [sms('447700900711', 'fails')] });
    await publish(acct, 'outage');
    const letters = await waitFor('the dead letter', async () => {
      const list = await deadLetters(acct);
      return list.length > 0 && list;
    });
    expect(letters.map((one) => one.route_id)).toEqual(['b-fails']);
    // Each of the four deliveries ran route a-works; its send is idempotent on the event, route and step.
    expect(sb.provider.simulator!.messages({ to: '447700900710' })).toHaveLength(1);

    // A replay runs only the route that failed.
    sb.provider.simulator!.setScenario('447700900711', { outcome: 'delivered' });
    await sb.api.post(`/v1/accounts/${acct}/deadletters/${letters[0]!.id}/replay`);
    await waitFor('the replayed message', () => sb.provider.simulator!.messages({ to: '447700900711' }).length === 1);
    await consumersIdle(sb.bus);
    expect(sb.provider.simulator!.messages({ to: '447700900710' })).toHaveLength(1);
  });

  it('dead-letters a permanent failure at once, without retrying it', async () => {
    const acct = account();
    await sb.api.put(`/v1/accounts/${acct}/routes/to-nobody`, {
      match: { event_type: 'outage' },
      steps: [{ handler: 'send_message', config: { contact: 'no-such-contact', text: 'hello' } }],
    });
    await publish(acct, 'outage');
    const letter = await waitFor('the dead letter', async () => (await deadLetters(acct))[0]);
    expect(letter).toMatchObject({ attempts: 1, error: { code: 'validation_failed' } });
    expect(letter.error.message).toMatch(/contact "no-such-contact" does not exist/);
  });

  it('dead-letters a malformed message on the bus, acks it, and goes on with the next event', async () => {
    const acct = account();
    await sb.api.put(`/v1/accounts/${acct}/routes/ok`, { match: { event_type: 'outage' }, steps: [sms('447700900720', 'still here')] });
    // A misbehaving source that bypasses the API.
    await sb.bus.js.publish(`events.${acct}.poll.ops-poll.outage`, 'this is not json');
    await sb.bus.js.publish(`events.${acct}.poll.ops-poll.outage`, JSON.stringify({ event_type: 'outage', account_key: acct }));
    await publish(acct, 'outage');

    await waitFor('the next event', () => sb.provider.simulator!.messages({ to: '447700900720' }).length === 1);
    const letters = await waitFor('two dead letters', async () => {
      const list = await deadLetters(acct);
      return list.length === 2 && list;
    });
    expect(letters.every((one) => one.reason === 'malformed' && one.attempts === 1)).toBe(true);
    expect(letters.map((one) => one.raw)).toContain('this is not json');
    expect(letters.map((one) => one.error.message).join('\n')).toMatch(/not JSON/);
    expect(letters.map((one) => one.error.message).join('\n')).toMatch(/not a valid event envelope: event_id/);
    await consumersIdle(sb.bus);
    expect(await deadLetters(acct)).toHaveLength(2);
    const replay = await sb.api.post(`/v1/accounts/${acct}/deadletters/${letters[0]!.id}/replay`);
    expect(replay.status).toBe(409);
  });

  it("dead-letters an envelope filed under another account's subject: the account it names never sees it", async () => {
    const source = account();
    const victim = account();
    await sb.api.put(`/v1/accounts/${victim}/routes/ok`, { match: { event_type: 'outage' }, steps: [sms('447700900721', 'victim paged')] });
    // A source may publish only under its own account's subjects; the envelope inside names another.
    const forged = {
      event_id: randomUUID(),
      timestamp: new Date().toISOString(),
      account_key: victim,
      conversation_type: 'poll',
      conversation_key: 'ops-poll',
      event_type: 'outage',
      event_data: {},
    };
    await sb.bus.js.publish(`events.${source}.poll.ops-poll.outage`, JSON.stringify(forged));

    const letter = await waitFor('the dead letter', async () => {
      const list = await deadLetters(source);
      return list.length === 1 && list[0];
    });
    expect(letter.reason).toBe('malformed');
    expect(letter.error.message).toBe(
      `the envelope belongs under events.${victim}.poll.ops-poll.outage, not events.${source}.poll.ops-poll.outage`,
    );
    await consumersIdle(sb.bus);
    expect(sb.provider.simulator!.messages({ to: '447700900721' })).toHaveLength(0);
    expect(await deadLetters(victim)).toHaveLength(0);
  });

  it('keeps dead letters to their account', async () => {
    const acct = account();
    await sb.api.put(`/v1/accounts/${acct}/routes/x`, {
      match: {},
      steps: [{ handler: 'send_message', config: { contact: 'ghost', text: 'x' } }],
    });
    await publish(acct, 'outage');
    const letter = await waitFor('the dead letter', async () => (await deadLetters(acct))[0]);
    expect((await sb.api.get(`/v1/accounts/someone-else/deadletters/${letter.id}`)).status).toBe(404);
    expect((await sb.api.post(`/v1/accounts/someone-else/deadletters/${letter.id}/replay`)).status).toBe(404);
    expect((await sb.api.get(`/v1/accounts/${acct}/deadletters/abc`)).status).toBe(400);
  });
});

describe('unrouted events', () => {
  it('records every event no route matches, newest first, and lists as many as asked', async () => {
    const acct = account();
    for (const n of [1, 2, 3]) await publish(acct, 'nobody_listens', { n });
    const list = await waitFor('three unrouted events', async () => {
      const { unrouted } = bodyOf(await sb.api.get(`/v1/accounts/${acct}/events/unrouted`), UnroutedList);
      return unrouted.length === 3 && unrouted;
    });
    expect(list.map((one) => one.event.event_data.n)).toEqual([3, 2, 1]);
    const limited = bodyOf(await sb.api.get(`/v1/accounts/${acct}/events/unrouted?limit=2`), UnroutedList).unrouted;
    expect(limited.map((one) => one.event.event_data.n)).toEqual([3, 2]);
    expect((await sb.api.get(`/v1/accounts/${acct}/events/unrouted?limit=0`)).status).toBe(400);
  });
});
