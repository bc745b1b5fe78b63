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
});
