import { createHash, randomUUID } from 'node:crypto';

export function newEventId(): string {
  return randomUUID();
}

/**
 * A deterministic id from its parts (32 url-safe characters). Work keyed on it is idempotent:
 * a redelivered event re-emits the same child ids (which JetStream's duplicate window stores
 * once), derives the same contact, the same escalation.
 */
export function stableId(...parts: Array<string | number>): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 32);
}
