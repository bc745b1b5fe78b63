import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { defineHandler, NonRetriableError, RetryAfterError } from '#libs/dispatcher';
import { handlerRegistry } from '#handlers';
import { useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { DeadLetterList, EventAccepted } from '../../apps/server/http/answers.js';
import { bodyOf } from '../support/api.js';

/** When each event's step ran, by event id: what the handlers below record. */
const runs = new Map<string, number[]>();
const ran = (eventId: string) => runs.set(eventId, [...(runs.get(eventId) ?? []), Date.now()]);

const WAIT_MS = 600;

const refuses = defineHandler({
  type: 'test_refuses',
  description: 'fails for good',
  config: z.object({}),
  async handle({ event }) {
    ran(event.event_id);
    throw new NonRetriableError('the order is cancelled: nothing to do', { code: 'validation_failed', details: { order: 'o-1' } });
  },
});

const asksToWait = defineHandler({
  type: 'test_asks_to_wait',
  description: 'fails once, asking to be retried later',
  config: z.object({}),
  async handle({ event, attempt }) {
    ran(event.event_id);
    if (attempt === 1) throw new RetryAfterError('the CRM is rate limited', WAIT_MS);
    return { output: { done: true } };
  },
});

const sb = useSwitchboard({
  registry: new Map([...handlerRegistry({ maxRepeat: 10 }), [refuses.type, refuses], [asksToWait.type, asksToWait]]),
});

const account = () => `errs-${randomUUID().slice(0, 8)}`;
async function routeAndPublish(acct: string, handler: string): Promise<string> {
  expect(
    (await sb.api.put(`/v1/accounts/${acct}/routes/r`, { match: { event_type: 'go' }, steps: [{ handler, config: {} }] })).status,
  ).toBe(201);
  const res = await sb.api.post(`/v1/accounts/${acct}/events`, {
    conversation_type: 'c',
    conversation_key: 'k',
    event_type: 'go',
    event_data: {},
  });
  expect(res.status).toBe(202);
  return bodyOf(res, EventAccepted).event_id;
}

describe('errors a handler throws', () => {
  it('NonRetriableError: the step runs once and the event is dead-lettered at once, with its code and details', async () => {
    const acct = account();
    const eventId = await routeAndPublish(acct, refuses.type);
    const [letter] = await waitFor('the dead letter', async () => {
      const letters = bodyOf(await sb.api.get(`/v1/accounts/${acct}/deadletters`), DeadLetterList).deadletters;
      return letters.length > 0 && letters;
    });
    expect(letter).toMatchObject({
      reason: 'handler_failed',
      route_id: 'r',
      attempts: 1,
      error: { code: 'validation_failed', message: 'the order is cancelled: nothing to do', details: { order: 'o-1' } },
    });
    // A dead letter is filed after the last attempt: this one came after the first.
    expect(runs.get(eventId)).toHaveLength(1);
  });

  it('RetryAfterError: the step is tried again no sooner than it asked, then succeeds', async () => {
    const acct = account();
    const eventId = await routeAndPublish(acct, asksToWait.type);
    const [first, second] = await waitFor(
      'the second run',
      () => (runs.get(eventId)?.length === 2 ? runs.get(eventId) : undefined),
      10_000,
    );
    // The policy alone would have retried after 50 ms.
    expect(second! - first!).toBeGreaterThanOrEqual(WAIT_MS);
    expect(bodyOf(await sb.api.get(`/v1/accounts/${acct}/deadletters`), DeadLetterList).deadletters).toEqual([]);
  });
});
