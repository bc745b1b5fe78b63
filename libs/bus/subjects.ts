/**
 * The subjects of the per-account streams, in one place: each one's writer, its readers, the
 * quotas that count an account's share (libs/limits) and the test that proves no subject can
 * outgrow nats-server's control line all build them here. EVENTS' own subjects are the
 * envelope's (libs/events).
 */
export const streamSubjects = {
  /** A dead letter: `deadletter.<account>.<reason>`. */
  deadLetter: (account: string, reason: string) => `deadletter.${account}.${reason}`,
  deadLettersOf: (account: string) => `deadletter.${account}.>`,
  /** A root event's count of the events it caused (the FANOUT stream keeps the last). */
  fanoutCount: (account: string, rootEventId: string) => `fanout.${account}.${rootEventId}`,
  /** An account's unrouted events, stored together (one subject per account: the stream's per-subject cap is its share). */
  unrouted: (account: string) => `unrouted.${account}.events`,
  unroutedOf: (account: string) => `unrouted.${account}.>`,
  /** A webhook delivery to make, to one subscription. */
  delivery: (account: string, subscriptionId: string) => `deliveries.${account}.${subscriptionId}`,
  deliveriesOf: (account: string) => `deliveries.${account}.>`,
} as const;
