import { z } from 'zod';
import { Token } from '#libs/events';

export const SCOPES = ['read', 'write', 'admin'] as const;
export const Scope = z.enum(SCOPES);
export type Scope = z.infer<typeof Scope>;

/**
 * What a token says about its bearer: who, which accounts (`*`: an operator's, all), what it may
 * do, until when, and its id (`jti`), by which it can be revoked.
 */
export const Claims = z.object({
  sub: z.string().min(1),
  jti: z.string().min(1).max(256),
  accounts: z.union([z.literal('*'), z.array(Token).min(1)]),
  scope: Scope,
  exp: z.number().int(),
});

export type Claims = z.infer<typeof Claims>;

/** The account is one the token may use. */
export function coversAccount(claims: Claims, account: string): boolean {
  return claims.accounts === '*' || claims.accounts.includes(account);
}

/** Scopes are ordered: admin includes write, write includes read. */
export function grants(claims: Claims, required: Scope): boolean {
  return SCOPES.indexOf(claims.scope) >= SCOPES.indexOf(required);
}
