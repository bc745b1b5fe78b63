/** What a secret reads as in API answers. Sending it back unchanged keeps the stored secret. */
export const MASK = '[redacted]';

/** Keys whose values are secrets wherever they appear in a config (case-insensitive). */
const SECRET_KEY = /^(private_key|secret|password|token|api_secret|signature_secret)$/i;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy with every secret value replaced by the mask. */
export function maskSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map(maskSecrets) as T;
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, SECRET_KEY.test(key) && typeof item === 'string' ? MASK : maskSecrets(item)]),
  ) as T;
}

/**
 * The incoming document with each masked secret put back from the stored one, so a client that
 * reads a config and writes it back does not overwrite its secrets with the mask.
 */
export function restoreMasked<T>(incoming: T, stored: unknown): T {
  if (Array.isArray(incoming)) {
    return incoming.map((item, index) => restoreMasked(item, Array.isArray(stored) ? stored[index] : undefined)) as T;
  }
  if (!isObject(incoming)) return incoming;
  const previous = isObject(stored) ? stored : {};
  return Object.fromEntries(
    Object.entries(incoming).map(([key, item]) => [key, item === MASK && SECRET_KEY.test(key) ? previous[key] : restoreMasked(item, previous[key])]),
  ) as T;
}
