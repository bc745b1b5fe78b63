import { z } from 'zod';

/**
 * What one account may use. Every field has a server-wide default (from the environment) and may
 * be set for one account by an operator; the effective limits are the default with the account's
 * own values over it. Add a limit here, with its default in `LimitDefaults` and its setting.
 */
export const AccountLimits = z.strictObject({
  fanout_budget: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .describe('events a root event may cause, all descendants counted (emitted by routes, at any depth); past it: one dead letter "fan-out budget exceeded"'),
});
export type AccountLimits = z.infer<typeof AccountLimits>;

/** An operator's settings for one account: any of the limits, the rest from the defaults. */
export const AccountLimitsOverride = AccountLimits.partial();
export type AccountLimitsOverride = z.infer<typeof AccountLimitsOverride>;
