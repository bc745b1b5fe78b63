import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { addContacts, callHook, createHook, newAccount, watchAccount } from './support.js';

// Bodies past 40 keys (or items) in one object or array are refused: small enough that an
// audience of 45 contacts makes a launch event the dispatcher would refuse.
const MAX_KEYS = 40;
const sb = useSwitchboard({ env: { SWITCHBOARD_TIME_SCALE: '0.01', SWITCHBOARD_JSON_MAX_KEYS: String(MAX_KEYS) } });

const Refusal = z.object({
  error: z.object({ code: z.string(), details: z.object({ issues: z.array(z.object({ path: z.string(), message: z.string() })) }) }),
});
const HookView = z.object({
  launch: z.object({
    pending: z.object({ calls: z.number() }).nullable(),
    last: z.object({ status: z.string(), calls: z.number(), error: z.string().optional() }).nullable(),
  }),
});
const DeadLetters = z.object({ deadletters: z.array(z.unknown()) });

/** `{a: {a: … 1}}`, `levels` objects deep. */
function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

/** Calls that fail, each for a reason of its own, and the field its 400 names. */
const INVALID_CALLS = [
  // Within the body's 32 levels, but not within the launch event's, two levels further down.
  { payload: { deep: nested(31) }, path: /^deep\.a\./ },
  { payload: { deep: nested(40) }, path: /^deep\.a\./ },
  { payload: { targets: [{ id: 'nobody-yet' }] }, path: /^targets\.0\.channel$/ },
  { payload: { set_conversation: true, user_id: 'u-1' }, path: /^channel$/ },
];

/** 30 valid calls with the invalid ones among them, the last just after the 30th (as reported), all at once. */
async function mixedBurst(token: string) {
  const valid = Array.from({ length: 30 }, (_, n) => ({ payload: { n }, path: undefined }));
  const calls = [
    ...valid.slice(0, 10),
    INVALID_CALLS[2]!,
    ...valid.slice(10, 20),
    INVALID_CALLS[3]!,
    INVALID_CALLS[1]!,
    ...valid.slice(20),
    INVALID_CALLS[0]!,
  ];
  const answers = await Promise.all(calls.map((call) => callHook(sb.url!, token, 'POST', call.payload)));
  return calls.map((call, i) => ({ ...call, answer: answers[i]! }));
}

async function hookView(account: string, id: string) {
  return HookView.parse((await sb.api.get(`/v1/accounts/${account}/hooks/${id}`)).body);
}

describe('a launch hook called by valid and invalid calls at once', () => {
  it('schedules every valid call and refuses each invalid one with its own 400, five rounds running', async () => {
    for (let round = 0; round < 5; round++) {
      const account = newAccount();
      // 1,000 s: ten seconds here, so the launch is still pending when it is read.
      const hook = await createHook(sb, account, { debounce_s: 1000 });
      const calls = await mixedBurst(hook.token);
      for (const { payload, path, answer } of calls) {
        if (!path) {
          expect(answer.status, JSON.stringify(answer.body)).toBe(200);
          continue;
        }
        expect(answer.status, JSON.stringify(payload).slice(0, 80)).toBe(400);
        const refusal = Refusal.parse(answer.body);
        expect(refusal.error.code).toBe('validation_failed');
        expect(refusal.error.details.issues[0]!.path).toMatch(path);
      }
      expect((await hookView(account, hook.id)).launch.pending?.calls).toBe(30);
    }
  });

  it('launches once with the valid calls only, and dead-letters nothing', async () => {
    const account = newAccount();
    const watch = await watchAccount(sb.natsUrl, account);
    try {
      const hook = await createHook(sb, account, { debounce_s: 100 });
      await mixedBurst(hook.token);
      const [event] = await watch.next('hook_event');
      expect(event!.event_data).toMatchObject({ calls: 30, fields: { n: expect.any(Number) } });
      expect((await hookView(account, hook.id)).launch.last).toMatchObject({ status: 'published', calls: 30 });
      expect(DeadLetters.parse((await sb.api.get(`/v1/accounts/${account}/deadletters`)).body).deadletters).toEqual([]);
    } finally {
      await watch.stop();
    }
  });

  it('records a launch whose event the dispatcher would refuse as failed, with the reason, instead of publishing it', async () => {
    const account = newAccount();
    const contacts = Array.from({ length: MAX_KEYS + 5 }, (_, i) => ({
      id: `c${i}`,
      channels: [{ type: 'sms' as const, id_num: `4477009${String(i).padStart(5, '0')}` }],
      variables: { plan: 'gold' },
    }));
    await addContacts(sb, account, contacts);
    const hook = await createHook(sb, account, {
      debounce_s: 10,
      default_audience: { conditions: [{ field: 'plan', criterion: 'HasValue' }] },
    });
    expect((await callHook(sb.url!, hook.token, 'POST', {})).status).toBe(200);
    const last = await waitFor('the launch', async () => (await hookView(account, hook.id)).launch.last ?? undefined);
    expect(last).toMatchObject({
      status: 'failed',
      error: expect.stringContaining(`event_data.audience.contact_ids: more than ${MAX_KEYS} items`),
    });
    expect(DeadLetters.parse((await sb.api.get(`/v1/accounts/${account}/deadletters`)).body).deadletters).toEqual([]);
  });
});
