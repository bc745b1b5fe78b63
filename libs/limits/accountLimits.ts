import { z } from 'zod';

/**
 * What one account may use. Every field has a server-wide default (from the environment) and may
 * be set for one account by an operator; the effective limits are the default with the account's
 * own values over it. Add a limit here, with its setting (libs/config) and its entry in the server's published list (apps/server/http/limitsCatalogue.ts).
 */
export const AccountLimits = z.strictObject({
  fanout_budget: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .describe(
      'events a root event may cause, all descendants counted (emitted by routes, at any depth); past it: one dead letter "fan-out budget exceeded"',
    ),
  // Quotas: what the account holds, counted on the bus (`AccountUsage`); at one, its new work is refused (`Quotas`).
  max_stored_events: z.number().int().min(1).describe("the account's events stored on EVENTS (each kept SWITCHBOARD_EVENTS_MAX_AGE_S)"),
  max_queued_deliveries: z.number().int().min(1).describe("the account's webhook deliveries waiting on DELIVERIES, to be sent or retried"),
  max_dead_letters: z
    .number()
    .int()
    .min(1)
    .describe("the account's dead letters on DEADLETTER (each kept SWITCHBOARD_DEADLETTER_MAX_AGE_S)"),
  max_running_escalations: z.number().int().min(1).describe("the account's escalations still running"),
});
export type AccountLimits = z.infer<typeof AccountLimits>;

/** An operator's settings for one account: any of the limits, the rest from the defaults. */
export const AccountLimitsOverride = AccountLimits.partial();
export type AccountLimitsOverride = z.infer<typeof AccountLimitsOverride>;
