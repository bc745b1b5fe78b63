/**
 * Names of keys whose values are secrets, wherever they appear: in configs (masked in API answers)
 * and in anything logged (redacted). Matched in any case, with `_`, `-` or no separator alike, so
 * `private_key`, `PRIVATE_KEY`, `private-key` and `privateKey` are one name.
 */
export const SECRET_KEY_NAMES = [
  'private_key',
  'secret',
  'client_secret',
  'api_secret',
  'signature_secret',
  'webhook_secret',
  'jwt_secret',
  'password',
  'passwd',
  'passphrase',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'auth_token',
  'api_key',
  'x_api_key',
  'jwt',
  'authorization',
  'proxy_authorization',
  'cookie',
  'set_cookie',
] as const;

// Whole names only: matching substrings would also hide counters such as `tokens_used` and `token_index`, or `account_key`.
const SECRET_KEY = new RegExp(`^(?:${SECRET_KEY_NAMES.map((name) => name.replaceAll('_', '[-_]?')).join('|')})$`, 'i');

/** Whether a key's value is a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}
