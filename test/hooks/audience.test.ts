import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { VumiApiEvent } from '#libs/events';
import { issuesOf, type ApiResponse } from '../support/api.js';
import { useSwitchboard } from '../support/switchboard.js';
import { addContacts, callHook, createHook, newAccount, watchAccount } from './support.js';

const sb = useSwitchboard({ env: { SWITCHBOARD_TIME_SCALE: '0.01' } });

/** Whom a launch's event targets (its event_data.audience), nothing else. */
const Audience = z.strictObject({ contact_ids: z.array(z.string()), count: z.number().int() });

const issueAt = (res: ApiResponse<unknown>, path: string) => issuesOf(res).find((issue) => issue.path === path);

/** One account with four contacts, created in this order, and a hook that launches at once. */
async function fixture(hookBody: Record<string, unknown> = {}) {
  const account = newAccount();
  await addContacts(sb, account, [
    {
      id: 'ann',
      name: 'Ann Rossi',
      channels: [
        { type: 'sms', id_num: '447700900501' },
        { type: 'whatsapp', id_num: '447700900501' },
      ],
      variables: { city: 'Rome', age: 34, plan: 'gold', nickname: 'annie' },
    },
    { id: 'bob', name: 'Bob', channels: [{ type: 'sms', id_num: '447700900502' }], variables: { city: 'Milan', age: '19', plan: '' } },
    { id: 'cy', name: 'Cy', channels: [{ type: 'messenger', id_num: 'cy-psid' }], variables: { city: 'Roma', age: 7 } },
    { id: 'dee', channels: [{ type: 'viber_service', id_num: '447700900504' }], variables: {} },
  ]);
  const hook = await createHook(sb, account, { debounce_s: 1, ...hookBody });
  const watch = await watchAccount(sb.natsUrl, account);
  let launched = 0;
  /** Calls the hook and waits for the launch it causes. */
  const launch = async (method: 'GET' | 'POST', payload: unknown): Promise<VumiApiEvent> => {
    const res = await callHook(sb.url!, hook.token, method, payload);
    if (res.status !== 200) throw new Error(`call refused: ${res.status} ${JSON.stringify(res.body)}`);
    launched += 1;
    return (await watch.next('hook_event', launched))[launched - 1]!;
  };
  const audienceOf = async (method: 'GET' | 'POST', payload: unknown) =>
    Audience.parse((await launch(method, payload)).event_data.audience);
  return { account, hook, watch, launch, audienceOf };
}

type Fixture = Awaited<ReturnType<typeof fixture>>;

describe('audience filters', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture();
  });

  it.each([
    ['Equals', 'city', 'rome', ['ann']],
    ['Different', 'city', 'ROME', ['bob', 'cy', 'dee']],
    ['GreaterThan', 'age', '18', ['ann', 'bob']],
    ['LesserThan', 'age', '18', ['cy']],
    ['Contains', 'city', 'rom', ['ann', 'cy']],
    ['Cointains', 'city', 'ROM', ['ann', 'cy']],
    ['DoesNotContain', 'city', 'rom', ['bob', 'dee']],
    ['StartsWith', 'name', 'b', ['bob']],
    ['DoesNotStartWith', 'name', 'b', ['ann', 'cy', 'dee']],
    ['HasValue', 'plan', '', ['ann']],
    ['EmptyOrUnset', 'plan', '', ['bob', 'cy', 'dee']],
    ['IsLongerThan', 'nickname', '3', ['ann']],
    ['IsShorterThan', 'city', '5', ['ann', 'cy']],
    ['equals', 'channel', 'viber', ['dee']],
    ['Equals', 'phone', '+44 7700 900502', ['bob']],
    ['HasValue', 'messenger', '', ['cy']],
  ])('%s on %s %j (string form, GET)', async (criterion, field, value, expected) => {
    const audience = await f.audienceOf('GET', { audience_filters: field, audience_criteria: criterion, audience_values: value });
    expect(audience).toEqual({ contact_ids: expected, count: expected.length });
  });

  it('joins with AND by default, and with OR when asked', async () => {
    const filters = { audience_filters: 'city,channel', audience_criteria: 'Contains;Equals', audience_values: 'rom;sms' };
    expect((await f.audienceOf('POST', filters)).contact_ids).toEqual(['ann']);
    expect((await f.audienceOf('POST', { ...filters, audience_join: 'AND' })).contact_ids).toEqual(['ann']);
    expect((await f.audienceOf('POST', { ...filters, audience_join: 'or' })).contact_ids).toEqual(['ann', 'bob', 'cy']);
  });

  it('takes the structured JSON form, with typed values', async () => {
    const audience = await f.audienceOf('POST', {
      audience_filters: ['age', 'plan'],
      audience_criteria: ['GreaterThan', 'HasValue'],
      audience_values: [18, ''],
      audience_join: 'OR',
    });
    expect(audience.contact_ids).toEqual(['ann', 'bob']);
  });

  it('sets the variables on every targeted contact, and only on them', async () => {
    const event = await f.launch('POST', {
      audience_filters: 'city',
      audience_criteria: 'StartsWith',
      audience_values: 'rom',
      set_variables: ['alert', 'level'],
      set_variables_values: ['on', 3],
    });
    expect(event.event_data).toMatchObject({ audience: { contact_ids: ['ann', 'cy'] }, variables: { alert: 'on', level: 3 } });
    const variables = async (id: string) => (await sb.stores.contacts.get(f.account, id))!.variables;
    expect(await variables('ann')).toMatchObject({ alert: 'on', level: 3, city: 'Rome' });
    expect(await variables('cy')).toMatchObject({ alert: 'on', level: 3 });
    expect(await variables('bob')).not.toHaveProperty('alert');
    expect(await variables('dee')).toEqual({});

    // The same values again write nothing: launches setting them at once do not race for the contact.
    const before = (await sb.stores.contacts.get(f.account, 'ann'))!.updated_at;
    await f.launch('POST', {
      audience_filters: 'id',
      audience_criteria: 'Equals',
      audience_values: 'ann',
      set_variables: 'alert',
      set_variables_values: 'on',
    });
    expect((await sb.stores.contacts.get(f.account, 'ann'))!.updated_at).toBe(before);
    await f.launch('POST', {
      audience_filters: 'id',
      audience_criteria: 'Equals',
      audience_values: 'ann',
      set_variables: 'alert',
      set_variables_values: 'off',
    });
    expect(await variables('ann')).toMatchObject({ alert: 'off' });
  });
});

describe('the default audience', () => {
  it("applies when the call names none, and the call's filters override it", async () => {
    const f = await fixture({ default_audience: { conditions: [{ field: 'plan', criterion: 'HasValue' }] } });
    expect((await f.audienceOf('GET', undefined)).contact_ids).toEqual(['ann']);
    expect((await f.audienceOf('POST', { set_variables: 'x', set_variables_values: '1' })).contact_ids).toEqual(['ann']);
    expect(
      (await f.audienceOf('POST', { audience_filters: 'name', audience_criteria: 'Equals', audience_values: 'bob' })).contact_ids,
    ).toEqual(['bob']);
  });

  it('is nobody when the hook has none', async () => {
    const f = await fixture();
    expect(await f.audienceOf('POST', {})).toEqual({ contact_ids: [], count: 0 });
  });
});

describe('targets mode', () => {
  it('targets contacts by id with their own variables, creating the unknown ones', async () => {
    const f = await fixture();
    const event = await f.launch('POST', {
      targets: [
        { id: 'bob', variables: { score: 1 } },
        { id: 'newbie', name: 'New Person', channel: { type: 'sms', id_num: '+44 7700 900599' }, variables: { score: 2, tier: 'trial' } },
        { id: 'ann' },
      ],
      set_variables: 'campaign',
      set_variables_values: 'spring',
      note: 'passed on',
    });
    expect(event.event_data).toMatchObject({
      mode: 'targets',
      audience: { contact_ids: ['bob', 'newbie', 'ann'], count: 3 },
      targets: [
        { contact_id: 'bob', variables: { campaign: 'spring', score: 1 } },
        { contact_id: 'newbie', variables: { campaign: 'spring', score: 2, tier: 'trial' } },
        { contact_id: 'ann', variables: { campaign: 'spring' } },
      ],
      fields: { note: 'passed on' },
    });
    const created = await sb.stores.contacts.get(f.account, 'newbie');
    expect(created).toMatchObject({
      name: 'New Person',
      channels: [{ type: 'sms', id_num: '447700900599' }],
      variables: { campaign: 'spring', score: 2, tier: 'trial' },
    });
    expect((await sb.stores.contacts.get(f.account, 'bob'))!.variables).toMatchObject({ city: 'Milan', campaign: 'spring', score: 1 });
    expect((await sb.stores.contacts.get(f.account, 'ann'))!.name).toBe('Ann Rossi');
  });

  it('answers 400 naming the entry when an unknown contact has no channel, and creates nothing', async () => {
    const f = await fixture();
    const res = await callHook(sb.url!, f.hook.token, 'POST', { targets: [{ id: 'ann' }, { id: 'ghost' }, { id: 'ghost2', name: 'G' }] });
    expect(res.status).toBe(400);
    expect(issueAt(res, 'targets.1.channel')?.message).toMatch(/contact "ghost" does not exist: give a channel/);
    expect(issueAt(res, 'targets.2.channel')).toBeDefined();
    expect(issueAt(res, 'targets.0.channel')).toBeUndefined();
    expect(await sb.stores.contacts.get(f.account, 'ghost')).toBeUndefined();
    expect((await sb.hookStore.launchState(f.account, f.hook.id))?.pending).toBeUndefined();
  });

  it.each([
    ['a target without an id', { targets: [{ variables: {} }] }, 'targets.0.id'],
    ['a bad contact id', { targets: [{ id: 'has space', channel: { type: 'sms', id_num: '447700900598' } }] }, 'targets.0.id'],
    ['a bad channel', { targets: [{ id: 'x', channel: { type: 'pager', id_num: '1' } }] }, 'targets.0.channel.type'],
    ['a bad number', { targets: [{ id: 'x', channel: { type: 'sms', id_num: '12' } }] }, 'targets.0.channel.id_num'],
    ['the same contact twice', { targets: [{ id: 'ann' }, { id: 'ann' }] }, 'targets.1.id'],
    [
      'targets beside filters',
      { targets: [{ id: 'ann' }], audience_filters: 'city', audience_criteria: 'Equals', audience_values: 'x' },
      'targets',
    ],
    ['no targets at all', { targets: [] }, 'targets'],
  ])('answers 400 for %s', async (_name, payload, path) => {
    const f = await fixture();
    const res = await callHook(sb.url!, f.hook.token, 'POST', payload);
    expect(res.status).toBe(400);
    expect(issueAt(res, path), JSON.stringify(res.body)).toBeDefined();
  });
});

describe('set_conversation', () => {
  it('finds the contact by its address on the channel, ignoring the filters', async () => {
    const f = await fixture();
    const event = await f.launch('POST', {
      set_conversation: true,
      channel: 'sms',
      user_phone_number: '+447700900502',
      audience_filters: 'city',
      audience_criteria: 'Equals',
      audience_values: 'Rome',
      set_variables: 'seen',
      set_variables_values: 'yes',
    });
    expect(event.event_data).toMatchObject({
      mode: 'conversation',
      audience: { contact_ids: ['bob'], count: 1 },
      variables: { seen: 'yes' },
    });
    expect((await sb.stores.contacts.get(f.account, 'bob'))!.variables).toMatchObject({ seen: 'yes' });
    expect((await sb.stores.contacts.get(f.account, 'ann'))!.variables).not.toHaveProperty('seen');
    // user_id first: a platform id on messenger, from a GET.
    expect(
      (await f.audienceOf('GET', { set_conversation: 'true', channel: 'messenger', user_id: 'cy-psid', user_phone_number: '447700900502' }))
        .contact_ids,
    ).toEqual(['cy']);
  });

  it('creates the contact from the variables when there is none', async () => {
    const f = await fixture();
    const event = await f.launch('POST', {
      set_conversation: true,
      channel: 'whatsapp',
      user_phone_number: '447700900777',
      user_name: 'Newcomer',
      set_variables: 'source',
      set_variables_values: 'hook',
    });
    const [id] = Audience.parse(event.event_data.audience).contact_ids;
    expect(id).toBeDefined();
    expect(await sb.stores.contacts.get(f.account, id!)).toMatchObject({
      name: 'Newcomer',
      channels: [{ type: 'whatsapp', id_num: '447700900777' }],
      variables: { source: 'hook' },
    });
    // The same address again is the same contact.
    expect(
      (await f.audienceOf('POST', { set_conversation: true, channel: 'whatsapp', user_phone_number: '447700900777' })).contact_ids,
    ).toEqual([id]);
  });

  it.each([
    ['no channel', { set_conversation: true, user_id: 'x' }, 'channel'],
    ['no id or number', { set_conversation: true, channel: 'sms' }, 'user_id'],
    ['an unknown channel', { set_conversation: true, channel: 'pager', user_id: 'x' }, 'channel'],
    ['a bad number', { set_conversation: true, channel: 'sms', user_phone_number: 'not-a-number' }, 'user_phone_number'],
  ])('answers 400 for %s', async (_name, payload, path) => {
    const f = await fixture();
    const res = await callHook(sb.url!, f.hook.token, 'POST', payload);
    expect(res.status).toBe(400);
    expect(issueAt(res, path), JSON.stringify(res.body)).toBeDefined();
  });
});
