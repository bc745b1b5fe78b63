import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DiscardPolicy, nanos, type StreamInfo } from 'nats';
import { describe, expect, it } from 'vitest';
import { BUCKETS, provisionBus, STREAMS } from '#libs/bus';
import { limitChanges } from '../../libs/bus/provision.js';
import { AccountLimitsView, LimitsList, type ListedLimit } from '../../apps/server/http/answers.js';
import { apiClient, bodyOf, errorOf } from '../support/api.js';
import { useSwitchboard } from '../support/switchboard.js';

const sb = useSwitchboard({ env: { SWITCHBOARD_BODY_LIMIT_BYTES: '16384', SWITCHBOARD_MAX_DEAD_LETTERS: '500' } });

const README = path.resolve(import.meta.dirname, '../../README.md');

const account = () => `lim-${randomUUID().slice(0, 8)}`;

/** The listed limit of that name. */
function limitIn(limits: ListedLimit[], name: string): ListedLimit {
  const found = limits.find((limit) => limit.name === name);
  if (!found) throw new Error(`GET /v1/limits lists no ${name}`);
  return found;
}
const client = async (accounts: string[] | '*', scope: 'read' | 'write' | 'admin') =>
  apiClient(sb.url!, await sb.token({ accounts, scope }));

const LIMITS_TABLE_HEADER = ['limit', 'default', 'setting', 'past it'];

/**
 * The rows of the tables of README's Limits section headed `| limit | default | setting | past it |`:
 * each one's limit, default and setting, the first `code` of their cells.
 */
function readmeLimitRows(readme: string): Array<{ name: string; default: string; setting: string }> {
  const section = /^(#{2,3}) Limits[ \t]*$/m.exec(readme);
  if (!section) return [];
  const rest = readme.slice(section.index + section[0].length);
  const end = new RegExp(`^#{1,${(section[1] ?? '##').length}} `, 'm').exec(rest);
  const cells = (line: string) =>
    line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
  const code = (cell: string | undefined) => /`([^`]+)`/.exec(cell ?? '')?.[1] ?? '';
  const tables = (end ? rest.slice(0, end.index) : rest)
    .split(/\n(?!\|)/)
    .map((block) => block.split('\n').filter((line) => line.startsWith('|')));
  return (
    tables
      .filter(([header]) => header !== undefined && cells(header).join('|').toLowerCase() === LIMITS_TABLE_HEADER.join('|'))
      // After the header, the |---| line.
      .flatMap((table) => table.slice(2).map((row) => cells(row)))
      .map(([name, defaultValue, setting]) => ({ name: code(name), default: code(defaultValue), setting: code(setting) }))
  );
}

describe('GET /v1/limits', () => {
  it("answers a one-account token its account's effective limits, what it holds against each quota, and every server limit", async () => {
    const acct = account();
    expect((await sb.api.put(`/v1/accounts/${acct}/limits`, { max_stored_events: 5 })).status).toBe(200);
    const reader = await client([acct], 'read');

    const res = await reader.get('/v1/limits');
    expect(res.status).toBe(200);
    expect(bodyOf(res, LimitsList).account).toBe(acct);
    const limit = (name: string) => limitIn(bodyOf(res, LimitsList).limits, name);
    // Set by the operator for this account; the server's setting; the built-in default.
    expect(limit('max_stored_events')).toMatchObject({
      per: 'account',
      value: 5,
      default: 1_000_000,
      setting: 'SWITCHBOARD_MAX_STORED_EVENTS',
      used: 0,
    });
    expect(limit('max_dead_letters')).toMatchObject({
      per: 'account',
      value: 500,
      default: 10_000,
      setting: 'SWITCHBOARD_MAX_DEAD_LETTERS',
      used: 0,
    });
    expect(limit('fanout_budget')).toMatchObject({ per: 'account', value: 100, default: 100, setting: 'SWITCHBOARD_FANOUT_BUDGET' });
    expect(limit('fanout_budget').used).toBeUndefined();
    expect(limit('body_limit_bytes')).toMatchObject({
      per: 'server',
      value: 16384,
      default: 262144,
      setting: 'SWITCHBOARD_BODY_LIMIT_BYTES',
      past_it: '413 payload_too_large',
    });
    expect(limit('max_repeat')).toMatchObject({ per: 'server', value: 10, default: 10, setting: 'SWITCHBOARD_MAX_REPEAT' });
    for (const listed of bodyOf(res, LimitsList).limits) expect(listed.description.length, listed.name).toBeGreaterThan(10);
  });

  it("answers an operator the defaults, or the named account's limits", async () => {
    const acct = account();
    await sb.api.put(`/v1/accounts/${acct}/limits`, { max_running_escalations: 7 });
    const defaults = await sb.api.get('/v1/limits');
    expect(defaults.status).toBe(200);
    expect(bodyOf(defaults, LimitsList).account).toBeNull();
    expect(limitIn(bodyOf(defaults, LimitsList).limits, 'max_running_escalations')).toMatchObject({ value: 1000, default: 1000 });
    expect(limitIn(bodyOf(defaults, LimitsList).limits, 'max_running_escalations').used).toBeUndefined();

    const named = await sb.api.get(`/v1/limits?account=${acct}`);
    expect(bodyOf(named, LimitsList).account).toBe(acct);
    expect(limitIn(bodyOf(named, LimitsList).limits, 'max_running_escalations')).toMatchObject({ value: 7, default: 1000, used: 0 });
  });

  it("keeps accounts apart: another account's limits are a 404, and a token for several accounts names one", async () => {
    const [mine, theirs] = [account(), account()];
    const reader = await client([mine], 'read');
    expect(bodyOf(await reader.get(`/v1/limits?account=${mine}`), LimitsList).account).toBe(mine);
    const other = await reader.get(`/v1/limits?account=${theirs}`);
    expect(other.status).toBe(404);
    expect(errorOf(other).code).toBe('not_found');

    const both = await client([mine, theirs], 'read');
    const unnamed = await both.get('/v1/limits');
    expect(unnamed.status).toBe(400);
    expect(errorOf(unnamed).message).toMatch(/^account: required/);
    expect(bodyOf(await both.get(`/v1/limits?account=${theirs}`), LimitsList).account).toBe(theirs);
  });
});

describe("an operator's overrides of an account's limits", () => {
  it('apply at once, to that account only, and a new PUT replaces what was set before', async () => {
    const [acct, other] = [account(), account()];
    const put = await sb.api.put(`/v1/accounts/${acct}/limits`, { max_queued_deliveries: 3, fanout_budget: 20 });
    expect(put.status).toBe(200);
    expect(bodyOf(put, AccountLimitsView)).toMatchObject({
      account: acct,
      overrides: { max_queued_deliveries: 3, fanout_budget: 20 },
      limits: { max_queued_deliveries: 3, fanout_budget: 20, max_stored_events: 1_000_000 },
    });
    expect((await sb.api.get(`/v1/accounts/${acct}/limits`)).body).toEqual(put.body);
    const seenByAccount = await (await client([acct], 'read')).get('/v1/limits');
    expect(limitIn(bodyOf(seenByAccount, LimitsList).limits, 'max_queued_deliveries').value).toBe(3);
    expect(bodyOf(await sb.api.get(`/v1/accounts/${other}/limits`), AccountLimitsView)).toMatchObject({
      overrides: {},
      limits: { max_queued_deliveries: 100_000, fanout_budget: 100 },
    });

    const replaced = await sb.api.put(`/v1/accounts/${acct}/limits`, { max_dead_letters: 2 });
    expect(bodyOf(replaced, AccountLimitsView).overrides).toEqual({ max_dead_letters: 2 });
    expect(bodyOf(replaced, AccountLimitsView).limits).toMatchObject({
      max_dead_letters: 2,
      max_queued_deliveries: 100_000,
      fanout_budget: 100,
    });
  });

  it("are an operator's alone: an account's admin gets a 403, another account's token a 404", async () => {
    const acct = account();
    const admin = await client([acct], 'admin');
    const refused = await admin.put(`/v1/accounts/${acct}/limits`, { max_stored_events: 100_000_000 });
    expect(refused.status).toBe(403);
    expect(errorOf(refused).code).toBe('forbidden');
    expect((await admin.get(`/v1/accounts/${acct}/limits`)).status).toBe(403);
    expect((await (await client([account()], 'admin')).put(`/v1/accounts/${acct}/limits`, { max_stored_events: 1 })).status).toBe(404);
    expect(bodyOf(await sb.api.get(`/v1/accounts/${acct}/limits`), AccountLimitsView).overrides).toEqual({});
  });

  it('refuses a misspelt limit or a value out of range, naming it', async () => {
    const acct = account();
    const misspelt = await sb.api.put(`/v1/accounts/${acct}/limits`, { max_stored_event: 5 });
    expect(misspelt.status).toBe(400);
    expect(errorOf(misspelt).code).toBe('validation_failed');
    expect(errorOf(misspelt).message).toContain('max_stored_event');
    const zero = await sb.api.put(`/v1/accounts/${acct}/limits`, { max_running_escalations: 0 });
    expect(zero.status).toBe(400);
    expect(errorOf(zero).message).toMatch(/^max_running_escalations: /);
    expect(bodyOf(await sb.api.get(`/v1/accounts/${acct}/limits`), AccountLimitsView).overrides).toEqual({});
  });
});

describe("README's Limits table", () => {
  it('has a row for every limit GET /v1/limits lists, with the same name, default and setting, and no other', async () => {
    const listed = bodyOf(await sb.api.get('/v1/limits'), LimitsList).limits.map((limit) => ({
      name: limit.name,
      default: String(limit.default),
      setting: limit.setting,
    }));
    const documented = readmeLimitRows(await readFile(README, 'utf8'));
    const sorted = (rows: typeof listed) => [...rows].sort((a, b) => a.name.localeCompare(b.name));
    expect(sorted(documented)).toEqual(sorted(listed));
  });
});

describe("streams' and buckets' limits", () => {
  /** A stream as the server describes it, with what it holds. */
  const stream = (config: Partial<StreamInfo['config']>, held: { bytes: number; messages: number }) =>
    ({
      config: { max_bytes: -1, max_msgs: -1, max_msgs_per_subject: -1, max_age: 0, discard: DiscardPolicy.Old, ...config },
      state: held,
    }) as unknown as StreamInfo;

  it('tightens a cap at once on a stream that drops its oldest, and on one that refuses only once what it holds fits', () => {
    expect(limitChanges(stream({}, { bytes: 5000, messages: 50 }), { max_bytes: 1000, discard: DiscardPolicy.Old }).changes).toEqual({
      max_bytes: 1000,
    });
    const refusing = stream({ discard: DiscardPolicy.New }, { bytes: 5000, messages: 50 });
    expect(limitChanges(refusing, { max_bytes: 1000, max_msgs: 100, max_age: nanos(60_000) })).toEqual({
      changes: { max_msgs: 100, max_age: nanos(60_000) },
      held: ['max_bytes 1000 (now none; it holds 5000)'],
    });
    expect(limitChanges(refusing, { max_bytes: 8000 }).changes).toEqual({ max_bytes: 8000 });
    expect(
      limitChanges(stream({ discard: DiscardPolicy.New, max_bytes: 4000 }, { bytes: 3000, messages: 50 }), { max_bytes: -1 }).changes,
    ).toEqual({ max_bytes: -1 });
    // The largest subject's count is not known: a tighter per-subject cap waits, unless the stream drops its oldest anyway.
    expect(limitChanges(refusing, { max_msgs_per_subject: 10 }).held).toHaveLength(1);
    expect(limitChanges(stream({}, { bytes: 0, messages: 0 }), { max_msgs_per_subject: 10 }).changes).toEqual({ max_msgs_per_subject: 10 });
  });

  it('brings the streams and buckets an earlier version made up to date as it starts', async () => {
    const { jsm } = sb.bus;
    // As before limits: no caps, dropping the oldest when full.
    for (const name of [STREAMS.deliveries, STREAMS.deadletter, `KV_${BUCKETS.deliveries}`]) {
      const { config } = await jsm.streams.info(name);
      await jsm.streams.update(name, { ...config, max_bytes: -1, discard: DiscardPolicy.Old });
    }
    await provisionBus(sb.bus, { ...sb.settings.streams, deadLettersMaxAgeS: 7200, deliveryRecordsMaxAgeS: 2 * 24 * 3600 });

    expect((await jsm.streams.info(STREAMS.deliveries)).config).toMatchObject({ max_bytes: 1024 ** 3, discard: DiscardPolicy.New });
    expect((await jsm.streams.info(STREAMS.deadletter)).config).toMatchObject({
      max_bytes: 512 * 1024 ** 2,
      max_age: nanos(7200 * 1000),
      discard: DiscardPolicy.New,
    });
    expect((await jsm.streams.info(`KV_${BUCKETS.deliveries}`)).config).toMatchObject({
      max_bytes: 256 * 1024 ** 2,
      max_age: nanos(2 * 24 * 3600 * 1000),
    });
  });
});
