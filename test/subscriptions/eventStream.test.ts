import { describe, expect, it } from 'vitest';
import { STREAMS } from '#libs/bus';
import { startTestSwitchboard, useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { openSse, type SseStream } from './sseClient.js';
import { newAccount, publish } from './support.js';
import { issuesOf } from '../support/api.js';

const sb = useSwitchboard({ env: { SWITCHBOARD_STREAM_HEARTBEAT_MS: '200' } });

/** Opens the account's stream; its consumer exists before the response starts, so events published after this are in it. */
async function stream(account: string, query = ''): Promise<SseStream> {
  return openSse(`${sb.url}/v1/accounts/${account}/events/stream${query}`, await sb.token({}));
}

async function eventConsumers(): Promise<Set<string>> {
  return new Set((await sb.bus.jsm.consumers.list(STREAMS.events).next()).map((consumer) => consumer.name));
}

describe('the live event stream (SSE)', () => {
  it('sends the matching events of the account as they are stored, each with its type, id and JSON', async () => {
    const account = newAccount();
    const sse = await stream(account, '?filter=escalation_*');
    try {
      expect(sse.status).toBe(200);
      expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);
      await publish(sb, account, { event_type: 'poll_complete' });
      const read = await publish(sb, account, { event_type: 'escalation_read', event_data: { user: 'Ann' } });
      await publish(sb, newAccount(), { event_type: 'escalation_read' });
      await publish(sb, account, { event_type: 'escalationread' });
      // Published twice with the same id: JetStream stores it once, and the stream sends it once.
      await publish(sb, account, { event_type: 'escalation_read', event_id: read });
      const exhausted = await publish(sb, account, {
        event_type: 'escalation_exhausted',
        conversation_type: 'monitor',
        conversation_key: 'main',
      });

      // Stream order: once the last one is in, everything before it has been filtered.
      await waitFor('the last matching event', () => sse.frames.some((frame) => frame.id === exhausted));
      expect(sse.frames.map((frame) => [frame.event, frame.id])).toEqual([
        ['escalation_read', read],
        ['escalation_exhausted', exhausted],
      ]);
      const data: unknown = JSON.parse(sse.frames[0]!.data!);
      expect(data).toMatchObject({ event_id: read, account_key: account, event_type: 'escalation_read', event_data: { user: 'Ann' } });
    } finally {
      sse.close();
    }
  });

  it('filters on the conversation too, and on several event types', async () => {
    const account = newAccount();
    const sse = await stream(account, '?filter=poll_complete,escalation_read&conversation_type=poll&conversation_key=ops-poll');
    try {
      const wanted = await publish(sb, account, { event_type: 'poll_complete' });
      await publish(sb, account, { event_type: 'poll_complete', conversation_key: 'other-poll' });
      await publish(sb, account, { event_type: 'escalation_read', conversation_type: 'monitor', conversation_key: 'ops-poll' });
      await publish(sb, account, { event_type: 'escalation_started' });
      const last = await publish(sb, account, { event_type: 'escalation_read' });
      await waitFor('the last matching event', () => sse.frames.some((frame) => frame.id === last));
      expect(sse.frames.map((frame) => frame.id)).toEqual([wanted, last]);
    } finally {
      sse.close();
    }
  });

  it('sends heartbeats while idle, and removes its consumer when the client goes away', async () => {
    const before = await eventConsumers();
    const sse = await stream(newAccount());
    const added = [...(await eventConsumers())].filter((name) => !before.has(name));
    expect(added).toHaveLength(1);
    await waitFor('two heartbeats', () => sse.comments.filter((comment) => comment === 'heartbeat').length >= 2, 3000);
    expect(sse.frames).toEqual([]);
    sse.close();
    await waitFor('the consumer to be removed', async () => !(await eventConsumers()).has(added[0]!), 5000);
  });

  it('refuses a bad filter with a 400 naming it', async () => {
    const account = newAccount();
    for (const query of ['?filter=escalation.read', '?filter=,', '?conversation_type=a.b']) {
      const res = await sb.api.get(`/v1/accounts/${account}/events/stream${query}`);
      expect(res.status, query).toBe(400);
      expect(issuesOf(res)[0]!.path, query).toMatch(/^(filter|conversation_type)/);
    }
  });

  it('ends open streams when the server stops', async () => {
    const other = await startTestSwitchboard(sb.natsUrl, { roles: ['http'] });
    const sse = await openSse(`${other.url}/v1/accounts/${newAccount()}/events/stream`, await other.token({}));
    expect(sse.status).toBe(200);
    await other.close();
    await waitFor('the stream to end', () => sse.ended, 3000);
  });
});
