import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CONSUMERS, STREAMS } from '../../libs/bus/index.js';
import { useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';

const sb = useSwitchboard();

const account = () => `fan-${randomUUID().slice(0, 8)}`;

const emit = (event_type: string, extra: Record<string, unknown> = {}) => ({ handler: 'emit_event', config: { event_type, ...extra } });
const putRoute = (acct: string, id: string, route: Record<string, unknown>) => sb.api.put(`/v1/accounts/${acct}/routes/${id}`, route);

async function publishRoot(acct: string, eventType = 'start'): Promise<string> {
  const res = await sb.api.post(`/v1/accounts/${acct}/events`, { conversation_type: 'poll', conversation_key: 'ops-poll', event_type: eventType, event_data: {} });
  expect(res.status).toBe(202);
  return res.body.event_id;
}

const deadLetters = async (acct: string) => (await sb.api.get(`/v1/accounts/${acct}/deadletters?limit=1000`)).body.deadletters as any[];

/** Every event of the account stored on EVENTS, the root included. */
async function storedEvents(acct: string): Promise<number> {
  const info = await sb.bus.jsm.streams.info(STREAMS.events, { subjects_filter: `events.${acct}.>` });
  return Object.values(info.state.subjects ?? {}).reduce((sum, count) => sum + count, 0);
}

/** Once the dispatcher has nothing left to take or settle: whatever the root caused is done. */
async function dispatcherIdle(): Promise<void> {
  await waitFor('the dispatcher to be idle', async () => {
    const info = await sb.bus.jsm.consumers.info(STREAMS.events, CONSUMERS.dispatcher);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  }, 20_000);
  // What a step was publishing as the last event was acked has reached the stream by now.
  await sleep(200);
}

describe('cycles of routes, refused when a route is saved', () => {
  const issueOf = (body: any) => body.error.details.issues.find((one: { path: string }) => one.path.endsWith('.config.event_type'));

  it('refuses a route that emits an event it matches itself, naming the cycle, and saves nothing', async () => {
    const acct = account();
    const res = await putRoute(acct, 'echo', { match: { event_type: 'ping' }, steps: [{ handler: 'log' }, emit('ping')] });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toMatch(/^steps\.1\.config\.event_type: route "echo" emits "ping", which route "echo" matches: a cycle/);
    expect(res.body.error.message).toContain('"allow_cycle": {"max_depth": <n>}');
    expect((await sb.api.get(`/v1/accounts/${acct}/routes/echo`)).status).toBe(404);
  });

  it('refuses the route that closes a cycle through another route, naming both', async () => {
    const acct = account();
    expect((await putRoute(acct, 'a', { match: { event_type: 'ping' }, steps: [emit('pong')] })).status).toBe(201);
    const res = await putRoute(acct, 'b', { match: { event_type: 'pong' }, steps: [{ handler: 'log' }, emit('ping')] });
    expect(res.status).toBe(400);
    expect(issueOf(res.body)).toEqual({
      path: 'steps.1.config.event_type',
      message: expect.stringMatching(/^route "b" emits "ping", which route "a" matches, which emits "pong", which route "b" matches: a cycle/),
    });
    // The same route, into another conversation that "a" does not take, closes no cycle.
    const elsewhere = await putRoute(acct, 'a', { match: { event_type: 'ping', conversation_type: 'poll' }, steps: [emit('pong')] });
    expect(elsewhere.status).toBe(200);
    expect((await putRoute(acct, 'b', { match: { event_type: 'pong' }, steps: [emit('ping', { conversation_type: 'audit' })] })).status).toBe(201);
  });

  it('accepts a cycle bounded by allow_cycle on one of its routes, and refuses a malformed allowance', async () => {
    const acct = account();
    expect((await putRoute(acct, 'a', { match: { event_type: 'ping' }, allow_cycle: { max_depth: 3 }, steps: [emit('pong')] })).status).toBe(201);
    expect((await putRoute(acct, 'b', { match: { event_type: 'pong' }, steps: [emit('ping')] })).status).toBe(201);
    // Taking the allowance away from "a" leaves the cycle unbounded.
    const unbounded = await putRoute(acct, 'a', { match: { event_type: 'ping' }, steps: [emit('pong')] });
    expect(unbounded.status).toBe(400);
    expect(issueOf(unbounded.body).message).toMatch(/^route "a" emits "pong", which route "b" matches, which emits "ping", which route "a" matches: a cycle/);

    for (const allow_cycle of [{ max_depth: 0 }, { max_depth: 65 }, { max_depth: 3, forever: true }, true]) {
      const res = await putRoute(acct, 'c', { match: { event_type: 'x' }, allow_cycle, steps: [emit('x')] });
      expect(res.status, JSON.stringify(allow_cycle)).toBe(400);
      expect(res.body.error.message).toMatch(/^allow_cycle/);
    }
  });

  it("ends an allowed cycle at the route's own max_depth", async () => {
    const acct = account();
    expect((await putRoute(acct, 'echo', { match: { event_type: 'ping' }, allow_cycle: { max_depth: 3 }, steps: [emit('ping')] })).status).toBe(201);
    await publishRoot(acct, 'ping');
    const letter = await waitFor('the depth dead letter', async () => (await deadLetters(acct)).find((one) => one.reason === 'depth_exceeded'));
    await dispatcherIdle();
    expect(letter.event.cause.depth).toBe(4);
    expect(letter.error.message).toMatch(/deeper than 3 \(route "echo"'s allow_cycle\.max_depth\)/);
    expect((await storedEvents(acct)) - 1).toBe(3);
  });

  it('still runs a legitimate chain: create_contact, then emit, then another route', async () => {
    const acct = account();
    const created = await putRoute(acct, 'signup', {
      match: { event_type: 'signed_up' },
      steps: [
        { handler: 'create_contact', config: { name: '{{event.event_data.name}}', channels: [{ type: 'sms', id_num: '{{event.event_data.msisdn}}' }] } },
        emit('welcome_due', { event_data: { contact: '{{steps.0.output.contact_id}}' } }),
      ],
    });
    expect(created.status).toBe(201);
    expect((await putRoute(acct, 'welcome', { match: { event_type: 'welcome_due' }, steps: [{ handler: 'send_message', config: { contact: '{{event.event_data.contact}}', text: 'Welcome!' } }] })).status).toBe(201);

    await sb.api.post(`/v1/accounts/${acct}/events`, { conversation_type: 'poll', conversation_key: 'ops-poll', event_type: 'signed_up', event_data: { name: 'Di', msisdn: '447700900821' } });
    await waitFor('the welcome message', () => sb.provider.simulator!.messages({ to: '447700900821' }).length === 1);
    expect(sb.provider.simulator!.messages({ to: '447700900821' }).map((one) => one.text)).toEqual(['Welcome!']);
    expect(await deadLetters(acct)).toEqual([]);
  });
});
