import { z } from 'zod';
import { Token } from '../events/index.js';

export const SCOPES = ['read', 'write', 'admin'] as const;
export const Scope = z.enum(SCOPES);
export type Scope = z.infer<typeof Scope>;

/** What a token says about its bearer: who, which accounts (`*`: an operator's, all), and what it may do. */
export const Claims = z.object({
  sub: z.string().min(1),
  accounts: z.union([z.literal('*'), z.array(Token).min(1)]),
  scope: Scope,
  exp: z.number().int(),
});

export type Claims = z.infer<typeof Claims>;

/** The account is one the token may use. */
export function coversAccount(claims: Claims, account: string): boolean {
  return claims.accounts === '*' || claims.accounts.includes(account);
}

/** Reads need any scope; changes need write (admin includes write). */
export function allows(claims: Claims, method: string): boolean {
  const reading = method === 'GET' || method === 'HEAD';
  return reading || claims.scope === 'write' || claims.scope === 'admin';
}
