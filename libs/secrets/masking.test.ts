import { describe, expect, it } from 'vitest';
import { MASK, maskSecrets, restoreMasked } from './masking.js';

const route = {
  id: 'r',
  steps: [{ handler: 'escalate_users', config: { APP: { APP_ID: 'app-1', PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----' }, users: [] } }],
  nested: { deeper: [{ secret: 's3cret', keep: 'me' }] },
};

describe('secret masking', () => {
  it('masks secret values at any depth, case-insensitively, and leaves the rest', () => {
    const masked = maskSecrets(route);
    expect(masked.steps[0]!.config.APP).toEqual({ APP_ID: 'app-1', PRIVATE_KEY: MASK });
    expect(masked.nested.deeper[0]).toEqual({ secret: MASK, keep: 'me' });
    expect(JSON.stringify(masked)).not.toMatch(/BEGIN PRIVATE KEY|s3cret/);
    expect(route.nested.deeper[0]!.secret).toBe('s3cret');
  });

  it('puts stored secrets back where a client sent the mask, and takes new values as given', () => {
    const roundTrip = restoreMasked(maskSecrets(route), route);
    expect(roundTrip).toEqual(route);
    const changed = restoreMasked({ ...maskSecrets(route), nested: { deeper: [{ secret: 'new', keep: 'me' }] } }, route);
    expect(changed.nested.deeper[0]!.secret).toBe('new');
    expect(changed.steps[0]!.config.APP.PRIVATE_KEY).toBe('-----BEGIN PRIVATE KEY-----');
  });

  it('masks the newer names and any value under them, and restores them as stored', () => {
    const config = {
      headers: { Authorization: 'Bearer h1', 'Set-Cookie': ['sid=h2'], 'x-trace': 'keep' },
      api: { apiKey: 'k1', client_secret: 'c1', refresh_token: { value: 'r1', expires: 3 } },
      usage: { tokens_used: 12, token_index: 3, account_key: 'acme' },
      unset: { password: null },
    };
    const masked = maskSecrets(config);
    expect(masked.headers).toEqual({ Authorization: MASK, 'Set-Cookie': MASK, 'x-trace': 'keep' });
    expect(masked.api).toEqual({ apiKey: MASK, client_secret: MASK, refresh_token: MASK });
    expect(masked.usage).toEqual(config.usage);
    expect(masked.unset.password).toBeNull();
    expect(restoreMasked(masked, config)).toEqual(config);
  });

  it('keeps a `__proto__` key from JSON as data', () => {
    const parsed = JSON.parse('{"__proto__": {"token": "x", "keep": 1}}');
    expect(JSON.stringify(maskSecrets(parsed))).toBe(`{"__proto__":{"token":"${MASK}","keep":1}}`);
    expect(JSON.stringify(restoreMasked(maskSecrets(parsed), parsed))).toBe(JSON.stringify(parsed));
  });

  it('masks and restores a body nested 100,000 levels deep', () => {
    const levels = 100_000;
    const deepest = (document: unknown) => {
      let value = document as { next?: unknown };
      for (let level = 1; level < levels; level++) value = value.next as { next?: unknown };
      return value;
    };
    let stored: unknown = { secret: 'bottom', keep: 'me' };
    for (let level = 1; level < levels; level++) stored = { next: stored };
    const masked = maskSecrets(stored);
    expect(deepest(masked)).toEqual({ secret: MASK, keep: 'me' });
    expect(deepest(stored)).toEqual({ secret: 'bottom', keep: 'me' });
    expect(deepest(restoreMasked(masked, stored))).toEqual({ secret: 'bottom', keep: 'me' });
  });
});
