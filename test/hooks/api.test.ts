import { describe, expect, it } from 'vitest';
import { HookInput, newHook } from '#libs/hooks';
import { HookRepository } from '#libs/hooks';
import { useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { callHook, createHook, newAccount, watchAccount } from './support.js';
import { HookCalled, HookCreated, HookList, HookView, LaunchUrls } from '../../apps/server/http/answers.js';
import { bodyOf, errorOf, issuesOf, type ApiResponse } from '../support/api.js';

const sb = useSwitchboard({ env: { SWITCHBOARD_TIME_SCALE: '0.01' } });

const issueAt = (res: ApiResponse<unknown>, path: string) => issuesOf(res).find((issue) => issue.path === path);

describe('hooks API', () => {
  it('creates, reads, lists, updates and deletes a hook', async () => {
    const account = newAccount();
    const created = await sb.api.post(`/v1/accounts/${account}/hooks`, {
      name: 'nightly alert',
      event: { event_type: 'alert', conversation_type: 'monitor' },
      default_audience: { join: 'or', conditions: [{ field: 'role', criterion: 'equals', value: 'admin' }] },
      allowed_hosts: ['127.0.0.1', '10.0.0.0/8', '2001:db8::/32'],
    });
    expect(created.status).toBe(201);
    const hook = bodyOf(created, HookCreated);
    expect(hook).toMatchObject({
      account_key: account,
      name: 'nightly alert',
      enabled: true,
      event: { conversation_type: 'monitor', conversation_key: hook.id, event_type: 'alert' },
      default_audience: { join: 'OR', conditions: [{ field: 'role', criterion: 'Equals', value: 'admin' }] },
      debounce_s: 10,
      allow_get: true,
      allow_post: true,
      launch: { pending: null, last: null },
    });
    expect(hook.id).toMatch(/^hk-/);
    // 192 random bits, url-safe, shown once in the launch URL.
    expect(hook.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(hook.launch_path).toBe(`/hooks/${hook.token}`);
    expect(hook.launch_url).toBe(`${sb.url}/hooks/${hook.token}`);
    expect(created.body).not.toHaveProperty('token_index');

    const read = await sb.api.get(`/v1/accounts/${account}/hooks/${hook.id}`);
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty('token');
    expect(JSON.stringify(read.body)).not.toContain(hook.token);
    expect(bodyOf(read, HookView).name).toBe('nightly alert');

    const second = await createHook(sb, account);
    const list = await sb.api.get(`/v1/accounts/${account}/hooks`);
    expect(bodyOf(list, HookList).hooks.map((one) => one.id)).toEqual([hook.id, second.id]);
    expect(bodyOf(await sb.api.get(`/v1/accounts/${newAccount()}/hooks`), HookList).hooks).toEqual([]);

    const patched = await sb.api.call('PATCH', `/v1/accounts/${account}/hooks/${hook.id}`, {
      enabled: false,
      debounce_s: 2.5,
      event: { event_type: 'alert2' },
      default_audience: null,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      enabled: false,
      debounce_s: 2.5,
      event: { conversation_type: 'monitor', event_type: 'alert2' },
      default_audience: null,
      name: 'nightly alert',
    });
    expect(bodyOf(patched, HookView).created_at).toBe(hook.created_at);

    expect((await sb.api.delete(`/v1/accounts/${account}/hooks/${hook.id}`)).status).toBe(204);
    expect((await sb.api.get(`/v1/accounts/${account}/hooks/${hook.id}`)).status).toBe(404);
    expect((await sb.api.delete(`/v1/accounts/${account}/hooks/${hook.id}`)).status).toBe(404);
    expect((await sb.api.call('PATCH', `/v1/accounts/${account}/hooks/${hook.id}`, { enabled: true })).status).toBe(404);
    // Deleted with its token index: the old launch URL is gone too.
    expect(await sb.hookStore.byToken(hook.token)).toBeUndefined();
  });

  it('keeps only a hash of the token: no key of the bucket holds it', async () => {
    const account = newAccount();
    const { token, id } = await createHook(sb, account);
    const kv = await sb.bus.js.views.kv('hooks');
    const keys: string[] = [];
    for await (const key of await kv.keys()) keys.push(key);
    expect(keys).toContain(HookRepository.tokenIndex(token));
    expect(keys.some((key) => key.includes(token))).toBe(false);
    const stored = await kv.get(`${account}.${id}`);
    expect(stored?.string()).not.toContain(token);
  });

  it('replaces a token: the old URL stops working, the new one works', async () => {
    const account = newAccount();
    const hook = await createHook(sb, account);
    const res = await sb.api.post(`/v1/accounts/${account}/hooks/${hook.id}/token`);
    expect(res.status).toBe(200);
    const urls = bodyOf(res, LaunchUrls);
    expect(urls.token).not.toBe(hook.token);
    expect(urls.launch_path).toBe(`/hooks/${urls.token}`);
    expect((await callHook(sb.url!, hook.token, 'GET')).status).toBe(404);
    expect((await callHook(sb.url!, urls.token, 'GET')).status).toBe(200);
    expect((await sb.api.post(`/v1/accounts/${account}/hooks/hk-nope/token`)).status).toBe(404);
  });

  it.each([
    ['an invalid CIDR', { allowed_hosts: ['10.0.0.0/8', '10.0.0.0/33'] }, 'allowed_hosts.1', /not an IP address or CIDR/],
    ['an invalid IPv6 CIDR', { allowed_hosts: ['2001:db8::/129'] }, 'allowed_hosts.0', /not an IP address or CIDR/],
    ['a host name', { allowed_hosts: ['example.com'] }, 'allowed_hosts.0', /not an IP address or CIDR/],
    [
      'an unknown criterion',
      { default_audience: { conditions: [{ field: 'city', criterion: 'Resembles', value: 'x' }] } },
      'default_audience.conditions.0.criterion',
      /unknown criterion "Resembles"/,
    ],
    [
      'a condition without a value',
      { default_audience: { conditions: [{ field: 'city', criterion: 'Equals' }] } },
      'default_audience.conditions.0.value',
      /needs a value/,
    ],
    ['an unknown join', { default_audience: { join: 'XOR', conditions: [] } }, 'default_audience.join', /unknown join/],
    ['no event type', { event: {} }, 'event.event_type', /required/],
    ['an event type with a dot', { event: { event_type: 'a.b' } }, 'event.event_type', /./],
    ['a negative debounce', { debounce_s: -1 }, 'debounce_s', /./],
    ['a debounce over an hour', { debounce_s: 3601 }, 'debounce_s', /./],
    ['neither GET nor POST', { allow_get: false, allow_post: false }, 'allow_post', /at least one of GET and POST/],
    ['a misspelt field', { allowed_host: ['10.0.0.1'] }, '(root)', /allowed_host/],
  ])('refuses %s with a 400 naming the field', async (_name, body, path, message) => {
    const res = await sb.api.post(`/v1/accounts/${newAccount()}/hooks`, { event: { event_type: 'hook_event' }, ...body });
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe('validation_failed');
    const issue = issueAt(res, path);
    expect(issue, JSON.stringify(issuesOf(res))).toBeDefined();
    expect(issue!.message).toMatch(message);
  });

  it('refuses a change that is invalid, and leaves the hook as it was', async () => {
    const account = newAccount();
    const hook = await createHook(sb, account, { allow_get: false });
    const bad = await sb.api.call('PATCH', `/v1/accounts/${account}/hooks/${hook.id}`, { allow_post: false });
    expect(bad.status).toBe(400);
    expect(issueAt(bad, 'allow_post')!.message).toMatch(/at least one of GET and POST/);
    const cidr = await sb.api.call('PATCH', `/v1/accounts/${account}/hooks/${hook.id}`, { allowed_hosts: ['1.2.3.4/40'] });
    expect(issueAt(cidr, 'allowed_hosts.0')).toBeDefined();
    const read = await sb.api.get(`/v1/accounts/${account}/hooks/${hook.id}`);
    expect(read.body).toMatchObject({ allow_get: false, allow_post: true, allowed_hosts: [] });
  });
});

describe('calling a hook', () => {
  it("answers 200 with the launch time, and publishes the hook event with the call's fields", async () => {
    const account = newAccount();
    const watch = await watchAccount(sb.natsUrl, account);
    try {
      const hook = await createHook(sb, account, { debounce_s: 5 });
      const before = Date.now();
      const res = await callHook(sb.url!, hook.token, 'POST', { message: 'disk full', severity: 3 });
      expect(res.status).toBe(200);
      const called = bodyOf(res, HookCalled);
      expect(called.scheduled).toBe(true);
      // 5 s at SWITCHBOARD_TIME_SCALE 0.01: 50 ms after the call.
      const launchAt = Date.parse(called.launch_at);
      expect(launchAt).toBeGreaterThanOrEqual(before + 50);
      expect(launchAt).toBeLessThan(Date.now() + 50 + 1000);
      const [event] = await watch.next('hook_event');
      expect(event).toMatchObject({
        account_key: account,
        conversation_type: 'hook',
        conversation_key: hook.id,
        event_type: 'hook_event',
        event_data: {
          hook_id: hook.id,
          mode: 'audience',
          audience: { contact_ids: [], count: 0 },
          variables: {},
          fields: { message: 'disk full', severity: 3 },
          method: 'POST',
          calls: 1,
        },
      });
      const read = await sb.api.get(`/v1/accounts/${account}/hooks/${hook.id}`);
      expect(bodyOf(read, HookView).launch).toMatchObject({
        pending: null,
        last: { status: 'published', event_id: event!.event_id, audience_count: 0, calls: 1 },
      });
    } finally {
      await watch.stop();
    }
  });

  it('takes the same fields as a query string on GET', async () => {
    const account = newAccount();
    const watch = await watchAccount(sb.natsUrl, account);
    try {
      await sb.stores.contacts.upsert(account, {
        id: 'ann',
        channels: [{ type: 'sms', id_num: '447700900401' }],
        variables: { city: 'Rome' },
      });
      await sb.stores.contacts.upsert(account, {
        id: 'bob',
        channels: [{ type: 'sms', id_num: '447700900402' }],
        variables: { city: 'Milan' },
      });
      const hook = await createHook(sb, account, { debounce_s: 1 });
      const res = await callHook(sb.url!, hook.token, 'GET', {
        audience_filters: 'city',
        audience_criteria: 'Equals',
        audience_values: 'rome',
        set_variables: 'alerted;level',
        set_variables_values: 'yes;2',
        message: 'hello',
      });
      expect(res.status).toBe(200);
      const [event] = await watch.next('hook_event');
      expect(event!.event_data).toMatchObject({
        method: 'GET',
        audience: { contact_ids: ['ann'], count: 1 },
        variables: { alerted: 'yes', level: '2' },
        fields: { message: 'hello' },
      });
      expect((await sb.stores.contacts.get(account, 'ann'))!.variables).toEqual({ city: 'Rome', alerted: 'yes', level: '2' });
      expect((await sb.stores.contacts.get(account, 'bob'))!.variables).toEqual({ city: 'Milan' });
    } finally {
      await watch.stop();
    }
  });

  it('answers 400 naming the field for an invalid payload, and schedules nothing', async () => {
    const account = newAccount();
    const hook = await createHook(sb, account);
    const cases: Array<[string, unknown, string, RegExp]> = [
      [
        'POST',
        { audience_filters: 'a;b', audience_criteria: 'Equals', audience_values: 'x;y' },
        'audience_criteria',
        /2 filter\(s\) but 1 criteria/,
      ],
      [
        'POST',
        { audience_filters: 'a', audience_criteria: 'Equals', audience_values: 'x;y' },
        'audience_values',
        /1 filter\(s\) but 2 value/,
      ],
      [
        'POST',
        { audience_filters: 'a;b', audience_criteria: 'Equals;Resembles', audience_values: 'x;y' },
        'audience_criteria.1',
        /unknown criterion "Resembles"/,
      ],
      [
        'POST',
        { audience_filters: ['a'], audience_criteria: ['Nope'], audience_values: ['x'] },
        'audience_criteria.0',
        /unknown criterion "Nope"/,
      ],
      [
        'POST',
        { audience_filters: 'a;;b', audience_criteria: 'Equals;Equals;Equals', audience_values: 'x;y;z' },
        'audience_filters.1',
        /empty entry/,
      ],
      [
        'POST',
        { audience_filters: 'bad name', audience_criteria: 'Equals', audience_values: 'x' },
        'audience_filters.0',
        /field or variable name/,
      ],
      [
        'POST',
        { audience_filters: 'a', audience_criteria: 'Equals', audience_values: 'x', audience_join: 'XOR' },
        'audience_join',
        /unknown join/,
      ],
      ['POST', { set_variables: 'a;b', set_variables_values: 'x' }, 'set_variables_values', /2 variable\(s\) but 1 value/],
      ['POST', { audience_filters: { a: 1 } }, 'audience_filters', /./],
      ['POST', [1, 2], '(root)', /JSON object/],
      [
        'GET',
        { audience_filters: 'a', audience_criteria: 'Equalz', audience_values: 'x' },
        'audience_criteria.0',
        /unknown criterion "Equalz"/,
      ],
      ['GET', { set_conversation: 'maybe' }, 'set_conversation', /./],
    ];
    for (const [method, payload, path, message] of cases) {
      const res = await callHook(sb.url!, hook.token, method, payload);
      expect(res.status, `${method} ${JSON.stringify(payload)}`).toBe(400);
      expect(errorOf(res).code).toBe('validation_failed');
      const issue = issueAt(res, path);
      expect(issue, `${JSON.stringify(payload)}: ${JSON.stringify(errorOf(res))}`).toBeDefined();
      expect(issue!.message).toMatch(message);
    }
    const malformed = await callHook(sb.url!, hook.token, 'POST', undefined, { rawBody: '{"audience_filters": ' });
    expect(malformed.status).toBe(400);
    expect(errorOf(malformed).code).toBe('invalid_json');
    expect((await sb.hookStore.launchState(account, hook.id))?.pending).toBeUndefined();
  });

  it('answers 413 for a payload over the body limit', async () => {
    const hook = await createHook(sb, newAccount());
    const res = await callHook(sb.url!, hook.token, 'POST', { message: 'x'.repeat(sb.settings.http.bodyLimit + 1) });
    expect(res.status).toBe(413);
    expect(errorOf(res).code).toBe('payload_too_large');
  });

  it('answers 404 for an unknown token, a disabled hook and a deleted one', async () => {
    const account = newAccount();
    expect((await callHook(sb.url!, 'A'.repeat(32), 'GET')).status).toBe(404);
    expect((await callHook(sb.url!, 'short', 'POST', {})).status).toBe(404);
    const hook = await createHook(sb, account);
    expect((await callHook(sb.url!, hook.token, 'GET')).status).toBe(200);
    await sb.api.call('PATCH', `/v1/accounts/${account}/hooks/${hook.id}`, { enabled: false });
    const disabled = await callHook(sb.url!, hook.token, 'GET');
    expect(disabled.status).toBe(404);
    expect(errorOf(disabled).code).toBe('not_found');
    await sb.api.call('PATCH', `/v1/accounts/${account}/hooks/${hook.id}`, { enabled: true });
    expect((await callHook(sb.url!, hook.token, 'GET')).status).toBe(200);
    await sb.api.delete(`/v1/accounts/${account}/hooks/${hook.id}`);
    expect((await callHook(sb.url!, hook.token, 'GET')).status).toBe(404);
  });

  it('answers 403 to a caller that is not an allowed host, by its socket address', async () => {
    const account = newAccount();
    const elsewhere = await createHook(sb, account, { allowed_hosts: ['198.51.100.0/24', '2001:db8::/32'] });
    const res = await callHook(sb.url!, elsewhere.token, 'POST', {}, { headers: { 'x-forwarded-for': '198.51.100.7' } });
    expect(res.status).toBe(403);
    expect(errorOf(res).code).toBe('forbidden');
    expect(errorOf(res).message).toContain('127.0.0.1');
    expect((await sb.hookStore.launchState(account, elsewhere.id))?.pending).toBeUndefined();

    const loopback = await createHook(sb, account, { allowed_hosts: ['198.51.100.0/24', '127.0.0.0/8'] });
    expect((await callHook(sb.url!, loopback.token, 'POST', {})).status).toBe(200);
  });

  it('answers 405 for a method the hook does not allow, with Allow', async () => {
    const account = newAccount();
    const postOnly = await createHook(sb, account, { allow_get: false });
    const get = await callHook(sb.url!, postOnly.token, 'GET');
    expect(get.status).toBe(405);
    expect(errorOf(get).code).toBe('method_not_allowed');
    expect(get.headers.get('allow')).toBe('POST');
    expect((await callHook(sb.url!, postOnly.token, 'POST', {})).status).toBe(200);

    const getOnly = await createHook(sb, account, { allow_post: false });
    const post = await callHook(sb.url!, getOnly.token, 'POST', {});
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    expect((await callHook(sb.url!, getOnly.token, 'PUT', {})).status).toBe(405);
    expect((await callHook(sb.url!, getOnly.token, 'DELETE')).status).toBe(405);
    expect((await callHook(sb.url!, getOnly.token, 'HEAD')).status).toBe(405);
    expect((await callHook(sb.url!, getOnly.token, 'GET')).status).toBe(200);
  });

  it('finds a hook written by another process at once, and follows its changes', async () => {
    const account = newAccount();
    const { hook, token } = newHook(account, HookInput.parse({ event: { event_type: 'hook_event' } }));
    // Straight to the store, as another server process would write it.
    await sb.hookStore.create(hook);
    expect((await callHook(sb.url!, token, 'GET')).status).toBe(200);
    await sb.hookStore.update(account, hook.id, (current) => ({ ...current, enabled: false }));
    await waitFor('the disabled hook to answer 404', async () => (await callHook(sb.url!, token, 'GET')).status === 404, 5000);
    await sb.hookStore.update(account, hook.id, (current) => ({ ...current, enabled: true }));
    await waitFor('the enabled hook to answer 200', async () => (await callHook(sb.url!, token, 'GET')).status === 200, 5000);
  });

  it('needs no API token, and the API still does', async () => {
    const account = newAccount();
    const hook = await createHook(sb, account);
    expect((await callHook(sb.url!, hook.token, 'GET', undefined, { headers: {} })).status).toBe(200);
    const anonymous = await fetch(`${sb.url}/v1/accounts/${account}/hooks`);
    expect(anonymous.status).toBe(401);
  });

  it('takes 64 changes of one hook at once (new tokens, patches) without a 5xx: each writer backs off and tries again', async () => {
    const account = newAccount();
    const { id } = bodyOf(await sb.api.post(`/v1/accounts/${account}/hooks`, { event: { event_type: 'x' } }), HookCreated);
    const answers = await Promise.all(
      Array.from({ length: 64 }, (_, i) =>
        i % 4 === 0
          ? sb.api.call('PATCH', `/v1/accounts/${account}/hooks/${id}`, { enabled: i % 8 === 0 })
          : sb.api.post(`/v1/accounts/${account}/hooks/${id}/token`),
      ),
    );
    expect(answers.map((answer) => answer.status).filter((status) => status !== 200)).toEqual([]);
    // One token won: the hook's index knows it and no other.
    const tokens = answers.filter((_, i) => i % 4 !== 0).map((answer) => bodyOf(answer, LaunchUrls).token);
    const live = await Promise.all(tokens.map(async (token) => (await sb.hookStore.byToken(token))?.id));
    expect(live.filter((found) => found === id)).toHaveLength(1);
  });
});
