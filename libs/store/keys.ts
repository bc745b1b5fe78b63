import { createHash } from 'node:crypto';

/** `<account_key>.<id>`: one account's documents are one key prefix. */
export function accountKey(accountKey: string, id: string): string {
  return `${accountKey}.${id}`;
}

/** Every document of an account, but not its index entries (those have a third token). */
export function accountFilter(accountKey: string): string {
  return `${accountKey}.*`;
}

/** An index entry's key; the indexed value is hashed so any string is a valid key token. */
export function indexKey(accountKey: string, index: string, value: string): string {
  return `${accountKey}._${index}.${createHash('sha256').update(value).digest('base64url').slice(0, 32)}`;
}
