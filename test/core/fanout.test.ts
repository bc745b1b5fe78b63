import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { STREAMS } from '#libs/bus';
import { startTestSwitchboard, useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { bodyOf, errorOf, issuesOf, type ApiResponse } from '../support/api.js';
import { DeadLetterList, EventAccepted } from '../../apps/server/http/answers.js';
import { consumersIdle } from '../support/settled.js';

const sb = useSwitchboard();

const account = () => `fan-${randomUUID().slice(0, 8)}`;

const emit = (event_type: string, extra: Record<string, unknown> = {}) => ({ handler: 'emit_event', config: { event_type, ...extra } });
const putRoute = (acct: string, id: string, route: Record<string, unknown>) => sb.api.put(`/v1/accounts/${acct}/routes/${id}`, route);

async function publishRoot(acct: string, eventType = 'start'): Promise<string> {
  const res = await sb.api.post(`/v1/accounts/${acct}/events`, {
    conversation_type: 'poll',
    conversation_key: 'ops-poll',
    event_type: eventType,
    event_data: {},
  });
  expect(res.status).toBe(202);
  return bodyOf(res, EventAccepted).event_id;
}

/** The chain a fan-out dead letter names, as far as these tests read it. */
const FanoutDetails = z.object({ chain: z.array(z.looseObject({ event_id: z.string(), depth: z.number() })) });

const deadLetters = async (acct: string) =>
  bodyOf(await sb.api.get(`/v1/accounts/${acct}/deadletters?limit=1000`), DeadLetterList).deadletters;

/** Every event of the account stored on EVENTS, the root included. */
async function storedEvents(acct: string): Promise<number> {
  const info = await sb.bus.jsm.streams.info(STREAMS.events, { subjects_filter: `events.${acct}.>` });
  return Object.values(info.state.subjects ?? {}).reduce((sum, count) => sum + count, 0);
}

/** Once the dispatcher has nothing left to take or settle: whatever the root caused is done. */
const dispatcherIdle = () => consumersIdle(sb.bus, ['dispatcher'], 20_000);

/** The root's count as the budget keeps it. */
async function fanoutCount(acct: string, root: string): Promise<{ admitted: number; refused: number }> {
  return (await sb.bus.jsm.streams.getMessage(STREAMS.fanout, { last_by_subj: `fanout.${acct}.${root}` })).json();
}

describe('the fan-out budget', () => {
  it('bounds two match-all routes that emit (saved with the cycle allowance): the budget of descendants, and one dead letter for the root', async () => {
    const acct = account();
    expect((await putRoute(acct, 'a', { match: {}, allow_cycle: { max_depth: 8 }, steps: [emit('ping')] })).status).toBe(201);
    expect((await putRoute(acct, 'b', { match: {}, allow_cycle: { max_depth: 8 }, steps: [emit('pong')] })).status).toBe(201);

    const root = await publishRoot(acct);
    await waitFor('the fan-out dead letter', async () => (await deadLetters(acct)).some((one) => one.reason === 'fanout_exceeded'));
    await dispatcherIdle();

    // Unbounded, two routes each re-emitting everything would store 510 events before the depth cap (8).
    expect((await storedEvents(acct)) - 1).toBe(100);
    const letters = (await deadLetters(acct)).filter((one) => one.reason === 'fanout_exceeded');
    expect(letters).toHaveLength(1);
    const letter = letters[0]!;
    const event = letter.event!;
    expect(['a', 'b']).toContain(letter.route_id);
    expect(event.cause?.root_event_id).toBe(root);
    expect(letter.error.code).toBe('fanout_exceeded');
    expect(letter.error.message).toMatch(new RegExp(`^fan-out budget exceeded: root event ${root} has caused 100 events`));
    expect(letter.error.message).toContain(`route "${letter.route_id}"`);
    expect(letter.error.details).toMatchObject({ root_event_id: root, budget: 100 });
    const { chain } = FanoutDetails.parse(letter.error.details);
    expect(chain[0]).toEqual({ event_id: root, depth: 0 });
    expect(chain.at(-1)).toMatchObject({ event_id: event.event_id, route_id: letter.route_id, depth: event.cause?.depth });
    // Every refusal after the first was counted, none filed again.
    const count = await fanoutCount(acct, root);
    expect(count.admitted).toBe(100);
    expect(count.refused).toBeGreaterThan(1);
    // One letter stands for many events: it is not replayed as one.
    expect((await sb.api.post(`/v1/accounts/${acct}/deadletters/${letter.id}/replay`)).status).toBe(409);
  });

  it('applies the budget an operator set for the account, to routes whose emitted types saving them cannot judge', async () => {
    const acct = account();
    const limits = await sb.api.put(`/v1/accounts/${acct}/limits`, { fanout_budget: 7 });
    expect(limits.status).toBe(200);
    // Templated event types: known only once rendered, so the check at PUT lets them through.
    expect((await putRoute(acct, 'a', { match: {}, steps: [emit('{{event.event_type}}')] })).status).toBe(201);
    expect((await putRoute(acct, 'b', { match: {}, steps: [emit('{{event.event_type}}-again')] })).status).toBe(201);

    const root = await publishRoot(acct, 'go');
    await waitFor('the fan-out dead letter', async () => (await deadLetters(acct)).some((one) => one.reason === 'fanout_exceeded'));
    await dispatcherIdle();

    expect((await storedEvents(acct)) - 1).toBe(7);
    const letters = (await deadLetters(acct)).filter((one) => one.reason === 'fanout_exceeded');
    expect(letters).toHaveLength(1);
    expect(letters[0]!.error.details).toMatchObject({ root_event_id: root, budget: 7 });
    expect((await fanoutCount(acct, root)).admitted).toBe(7);
  });

  it('holds the budget exactly when two dispatchers share the work, each with its own count in memory', async () => {
    const acct = account();
    await sb.api.put(`/v1/accounts/${acct}/limits`, { fanout_budget: 40 });
    await putRoute(acct, 'a', { match: {}, steps: [emit('{{event.event_type}}')] });
    await putRoute(acct, 'b', { match: {}, steps: [emit('{{event.event_type}}-b')] });
    const second = await startTestSwitchboard(sb.natsUrl, { roles: ['dispatcher'] });
    try {
      const root = await publishRoot(acct, 'go');
      await waitFor('the fan-out dead letter', async () => (await deadLetters(acct)).some((one) => one.reason === 'fanout_exceeded'));
      await dispatcherIdle();
      expect(second.dispatcher!.stats.handled).toBeGreaterThan(0);
      expect((await storedEvents(acct)) - 1).toBe(40);
      expect((await deadLetters(acct)).filter((one) => one.reason === 'fanout_exceeded')).toHaveLength(1);
      expect((await fanoutCount(acct, root)).admitted).toBe(40);
    } finally {
      await second.close();
    }
  });

  it('counts an event once when its cause is redelivered: a retried route re-emits within the budget', async () => {
    const acct = account();
    await sb.api.put(`/v1/accounts/${acct}/limits`, { fanout_budget: 2 });
    sb.provider.simulator!.setScenario('447700900811', { outcome: 'delivered', fail_first: { count: 1000, status: 503 } });
    await putRoute(acct, 'emits-then-fails', {
      match: { event_type: 'start' },
      steps: [emit('one'), emit('two'), { handler: 'send_message', config: { to: { type: 'sms', id_num: '447700900811' }, text: 'x' } }],
    });

    const root = await publishRoot(acct);
    const failed = await waitFor('the failed step dead letter', async () =>
      (await deadLetters(acct)).find((one) => one.reason === 'handler_failed'),
    );
    await dispatcherIdle();

    // Four deliveries of the root, each emitting both events again: counted twice, the second delivery would be past a budget of 2.
    expect(failed.attempts).toBe(4);
    expect((await deadLetters(acct)).filter((one) => one.reason === 'fanout_exceeded')).toEqual([]);
    expect(await fanoutCount(acct, root)).toEqual({ admitted: 2, refused: 0 });
    expect((await storedEvents(acct)) - 1).toBe(2);
  });
});

describe('cycles of routes, refused when a route is saved', () => {
  const issueOf = (res: ApiResponse<unknown>) => issuesOf(res).find((one) => one.path.endsWith('.config.event_type'));

  it('refuses a route that emits an event it matches itself, naming the cycle, and saves nothing', async () => {
    const acct = account();
    const res = await putRoute(acct, 'echo', { match: { event_type: 'ping' }, steps: [{ handler: 'log' }, emit('ping')] });
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe('validation_failed');
    expect(errorOf(res).message).toMatch(/^steps\.1\.config\.event_type: route "echo" emits "ping", which route "echo" matches: a cycle/);
    expect(errorOf(res).message).toContain('"allow_cycle": {"max_depth": <n>}');
    expect((await sb.api.get(`/v1/accounts/${acct}/routes/echo`)).status).toBe(404);
  });

  it('refuses the route that closes a cycle through another route, naming both', async () => {
    const acct = account();
    expect((await putRoute(acct, 'a', { match: { event_type: 'ping' }, steps: [emit('pong')] })).status).toBe(201);
    const res = await putRoute(acct, 'b', { match: { event_type: 'pong' }, steps: [{ handler: 'log' }, emit('ping')] });
    expect(res.status).toBe(400);
    expect(issueOf(res)).toEqual({
      path: 'steps.1.config.event_type',
      message: expect.stringMatching(
        /^route "b" emits "ping", which route "a" matches, which emits "pong", which route "b" matches: a cycle/,
      ),
    });
    // The same route, into another conversation that "a" does not take, closes no cycle.
    const elsewhere = await putRoute(acct, 'a', { match: { event_type: 'ping', conversation_type: 'poll' }, steps: [emit('pong')] });
    expect(elsewhere.status).toBe(200);
    expect(
      (await putRoute(acct, 'b', { match: { event_type: 'pong' }, steps: [emit('ping', { conversation_type: 'audit' })] })).status,
    ).toBe(201);
  });

  it('accepts a cycle bounded by allow_cycle on one of its routes, and refuses a malformed allowance', async () => {
    const acct = account();
    expect(
      (await putRoute(acct, 'a', { match: { event_type: 'ping' }, allow_cycle: { max_depth: 3 }, steps: [emit('pong')] })).status,
    ).toBe(201);
    expect((await putRoute(acct, 'b', { match: { event_type: 'pong' }, steps: [emit('ping')] })).status).toBe(201);
    // Taking the allowance away from "a" leaves the cycle unbounded.
    const unbounded = await putRoute(acct, 'a', { match: { event_type: 'ping' }, steps: [emit('pong')] });
    expect(unbounded.status).toBe(400);
    expect(issueOf(unbounded)!.message).toMatch(
      /^route "a" emits "pong", which route "b" matches, which emits "ping", which route "a" matches: a cycle/,
    );

    for (const allow_cycle of [{ max_depth: 0 }, { max_depth: 65 }, { max_depth: 3, forever: true }, true]) {
      const res = await putRoute(acct, 'c', { match: { event_type: 'x' }, allow_cycle, steps: [emit('x')] });
      expect(res.status, JSON.stringify(allow_cycle)).toBe(400);
      expect(errorOf(res).message).toMatch(/^allow_cycle/);
    }
  });

  it("ends an allowed cycle at the route's own max_depth", async () => {
    const acct = account();
    expect(
      (await putRoute(acct, 'echo', { match: { event_type: 'ping' }, allow_cycle: { max_depth: 3 }, steps: [emit('ping')] })).status,
    ).toBe(201);
    await publishRoot(acct, 'ping');
    const letter = await waitFor('the depth dead letter', async () =>
      (await deadLetters(acct)).find((one) => one.reason === 'depth_exceeded'),
    );
    await dispatcherIdle();
    expect(letter.event?.cause?.depth).toBe(4);
    expect(letter.error.message).toMatch(/deeper than 3 \(route "echo"'s allow_cycle\.max_depth\)/);
    expect((await storedEvents(acct)) - 1).toBe(3);
  });

  it('still runs a legitimate chain: create_contact, then emit, then another route', async () => {
    const acct = account();
    const created = await putRoute(acct, 'signup', {
      match: { event_type: 'signed_up' },
      steps: [
        {
          handler: 'create_contact',
          config: { name: '{{event.event_data.name}}', channels: [{ type: 'sms', id_num: '{{event.event_data.msisdn}}' }] },
        },
        emit('welcome_due', { event_data: { contact: '{{steps.0.output.contact_id}}' } }),
      ],
    });
    expect(created.status).toBe(201);
    expect(
      (
        await putRoute(acct, 'welcome', {
          match: { event_type: 'welcome_due' },
          steps: [{ handler: 'send_message', config: { contact: '{{event.event_data.contact}}', text: 'Welcome!' } }],
        })
      ).status,
    ).toBe(201);

    await sb.api.post(`/v1/accounts/${acct}/events`, {
      conversation_type: 'poll',
      conversation_key: 'ops-poll',
      event_type: 'signed_up',
      event_data: { name: 'Di', msisdn: '447700900821' },
    });
    await waitFor('the welcome message', () => sb.provider.simulator!.messages({ to: '447700900821' }).length === 1);
    expect(sb.provider.simulator!.messages({ to: '447700900821' }).map((one) => one.text)).toEqual(['Welcome!']);
    expect(await deadLetters(acct)).toEqual([]);
  });
});
