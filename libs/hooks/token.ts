import { randomBytes } from 'node:crypto';

/** The launch path a hook's token makes: the token is the only credential of a call. */
export function launchPath(token: string): string {
  return `/hooks/${token}`;
}

/** 192 random bits, url-safe: unguessable, and a valid path segment as it is. */
export function newHookToken(): string {
  return randomBytes(24).toString('base64url');
}

/** What a launch token looks like; anything else is not looked up at all. */
export const TOKEN_SHAPE = /^[A-Za-z0-9_-]{32}$/;

export function newHookId(): string {
  return `hk-${randomBytes(9).toString('base64url')}`;
}
