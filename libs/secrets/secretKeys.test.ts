import { describe, expect, it } from 'vitest';
import { SECRET_KEY_NAMES, isSecretKey } from './secretKeys.js';

function camelCase(name: string): string {
  return name.replace(/_(.)/g, (_match, letter: string) => letter.toUpperCase());
}

describe('secret key names', () => {
  it('match in any case, with "_", "-" or no separator', () => {
    for (const name of SECRET_KEY_NAMES) {
      for (const spelling of [name, name.toUpperCase(), name.replaceAll('_', '-'), name.replaceAll('_', ''), camelCase(name)]) {
        expect(isSecretKey(spelling), spelling).toBe(true);
      }
    }
    expect(['Set-Cookie', 'X-Api-Key', 'apikey', 'privateKey', 'signatureSecret'].every(isSecretKey)).toBe(true);
  });

  it('match whole names only, so counters and account keys stay readable', () => {
    for (const key of [
      'tokens_used',
      'token_index',
      'max_tokens',
      'account_key',
      'conversation_key',
      'secretary',
      'key',
      'password_changed_at',
      'my_token',
    ]) {
      expect(isSecretKey(key), key).toBe(false);
    }
  });
});
