import { describe, expect, it } from 'vitest';
import { DeliveryList, SubscriptionList, SubscriptionView } from '../../apps/server/http/answers.js';
import { useSwitchboard } from '../support/switchboard.js';
import { newAccount, subscribe } from './support.js';
import { type ApiResponse, bodyOf, errorOf, issuesOf } from '../support/api.js';

const sb = useSwitchboard();

const path = (account: string, rest = '') => `/v1/accounts/${account}/subscriptions${rest}`;
const issuePaths = (res: ApiResponse<unknown>): string[] => issuesOf(res).map((issue) => issue.path);

describe('the subscriptions API', () => {
  it('creates a subscription with a generated secret, shown once, masked afterwards', async () => {
    const account = newAccount();
    const created = await subscribe(sb, account, { url: 'https://example.com/hooks', filter: { event_types: ['escalation_*'] } });
    expect(created).toMatchObject({
      account_key: account,
      url: 'https://example.com/hooks',
      enabled: true,
      filter: { event_types: ['escalation_*'], conversation_type: '*', conversation_key: '*' },
    });
    expect(created.id).toMatch(/^sub_[A-Za-z0-9_-]+$/);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(created.secret.slice('whsec_'.length), 'base64').length).toBeGreaterThanOrEqual(24);

    const one = await sb.api.get(path(account, `/${created.id}`));
    expect(one.status).toBe(200);
    expect(bodyOf(one, SubscriptionView).secret).toBe(`whsec_…${created.secret.slice(-4)}`);
    const list = await sb.api.get(path(account));
    expect(bodyOf(list, SubscriptionList).subscriptions.map((s) => s.id)).toEqual([created.id]);
    expect(JSON.stringify([one.body, list.body])).not.toContain(created.secret.slice('whsec_'.length));

    const other = await subscribe(sb, account, { url: 'https://example.com/other' });
    expect(other.secret).not.toBe(created.secret);
    expect(other.filter).toEqual({ event_types: ['*'], conversation_type: '*', conversation_key: '*' });
  });

  it('keeps a secret that is given, and refuses one not in the whsec_ form', async () => {
    const account = newAccount();
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect((await subscribe(sb, account, { url: 'https://example.com/hooks', secret })).secret).toBe(secret);
    for (const bad of ['hunter2', 'whsec_!!!', `whsec_${Buffer.alloc(8).toString('base64')}`]) {
      const res = await sb.api.post(path(account), { url: 'https://example.com/hooks', secret: bad });
      expect(res.status, bad).toBe(400);
      expect(issuePaths(res)).toEqual(['secret']);
    }
  });

  it('refuses a URL that is not http or https, with a 400 naming url', async () => {
    const account = newAccount();
    for (const url of [
      'ftp://example.com/hooks',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'not a url',
      'https://user:pw@example.com/hooks',
      '',
    ]) {
      const res = await sb.api.post(path(account), { url });
      expect(res.status, url).toBe(400);
      expect(errorOf(res).code).toBe('validation_failed');
      expect(issuePaths(res), url).toEqual(['url']);
    }
    const missing = await sb.api.post(path(account), { filter: { event_types: ['x'] } });
    expect(missing.status).toBe(400);
    expect(issuePaths(missing)).toEqual(['url']);
    expect(bodyOf(await sb.api.get(path(account)), SubscriptionList).subscriptions).toEqual([]);
  });

  it('refuses a bad filter, naming the field', async () => {
    const account = newAccount();
    const cases: Array<[unknown, string]> = [
      [{ event_types: ['escalation.read'] }, 'filter.event_types.0'],
      [{ event_types: ['ok', 'has space'] }, 'filter.event_types.1'],
      [{ event_types: [] }, 'filter.event_types'],
      [{ event_types: 'escalation_*' }, 'filter.event_types'],
      [{ conversation_type: 'poll.x' }, 'filter.conversation_type'],
      [{ conversation_key: '>' }, 'filter.conversation_key'],
      // A misspelt key must not leave a subscription to every event.
      [{ event_type: 'escalation_read' }, 'filter'],
    ];
    for (const [filter, field] of cases) {
      const res = await sb.api.post(path(account), { url: 'https://example.com/hooks', filter });
      expect(res.status, JSON.stringify(filter)).toBe(400);
      expect(issuePaths(res), JSON.stringify(filter)).toEqual([field]);
    }
    const unknownField = await sb.api.post(path(account), { url: 'https://example.com/hooks', filters: {} });
    expect(unknownField.status).toBe(400);
  });

  it('updates, disables and deletes a subscription', async () => {
    const account = newAccount();
    const created = await subscribe(sb, account, { url: 'https://example.com/hooks' });
    const patched = await sb.api.call('PATCH', path(account, `/${created.id}`), {
      url: 'http://example.org/new',
      filter: { event_types: ['poll_complete'], conversation_key: 'ops-poll' },
      enabled: false,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      url: 'http://example.org/new',
      enabled: false,
      filter: { event_types: ['poll_complete'], conversation_key: 'ops-poll' },
    });
    expect(bodyOf(patched, SubscriptionView).secret).toBe(`whsec_…${created.secret.slice(-4)}`);
    expect(bodyOf(await sb.api.get(path(account, `/${created.id}`)), SubscriptionView).enabled).toBe(false);

    expect((await sb.api.call('PATCH', path(account, `/${created.id}`), { url: 'gopher://example.org' })).status).toBe(400);
    expect((await sb.api.call('PATCH', path(account, `/${created.id}`), {})).status).toBe(400);
    expect((await sb.api.call('PATCH', path(account, '/sub_nope'), { enabled: true })).status).toBe(404);
    expect(bodyOf(await sb.api.get(path(account, `/${created.id}`)), SubscriptionView).url).toBe('http://example.org/new');

    expect((await sb.api.delete(path(account, `/${created.id}`))).status).toBe(204);
    expect((await sb.api.get(path(account, `/${created.id}`))).status).toBe(404);
    expect((await sb.api.delete(path(account, `/${created.id}`))).status).toBe(404);
    expect((await sb.api.get(path(account, `/${created.id}/deliveries`))).status).toBe(404);
  });

  it('keeps subscriptions to their account', async () => {
    const account = newAccount();
    const created = await subscribe(sb, account, { url: 'https://example.com/hooks' });
    const elsewhere = newAccount();
    expect((await sb.api.get(path(elsewhere, `/${created.id}`))).status).toBe(404);
    expect(bodyOf(await sb.api.get(path(elsewhere)), SubscriptionList).subscriptions).toEqual([]);
    expect((await sb.api.delete(path(elsewhere, `/${created.id}`))).status).toBe(404);
    expect((await sb.api.get(path(account, `/${created.id}`))).status).toBe(200);
  });

  it('answers 404 for deliveries that do not exist', async () => {
    const account = newAccount();
    const created = await subscribe(sb, account, { url: 'https://example.com/hooks' });
    expect(bodyOf(await sb.api.get(path(account, `/${created.id}/deliveries`)), DeliveryList).deliveries).toEqual([]);
    expect((await sb.api.get(path(account, `/${created.id}/deliveries/nope`))).status).toBe(404);
    expect((await sb.api.post(path(account, `/${created.id}/deliveries/nope/replay`))).status).toBe(404);
    expect((await sb.api.get(path(account, `/${created.id}/deliveries?limit=0`))).status).toBe(400);
  });
});
