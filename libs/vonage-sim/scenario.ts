import { z } from 'zod';
import { channelsWhere, reportsRead, type ChannelType, type MessageStatus } from '#libs/vonage';

const NEVER_READ = channelsWhere((spec) => !spec.reportsRead).join('/');

/** What happens to a message sent to one recipient. Delays are in simulated ms (see timeScale). */
export const Scenario = z.strictObject({
  outcome: z
    .enum(['read', 'delivered', 'rejected', 'undeliverable', 'silent'])
    .describe(
      `read: submitted, delivered, read (${NEVER_READ} stop at delivered); delivered: no read; rejected / undeliverable: with an error; silent: submitted, then nothing (a phone that is off: Vonage reports every message it accepts as submitted)`,
    ),
  delivered_after_ms: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('when delivered (or rejected / undeliverable) is reported, from acceptance; default 200'),
  read_after_ms: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('when read is reported, from acceptance (never before delivered); default 1000'),
  fail_first: z
    .strictObject({
      count: z.number().int().min(1).max(10_000),
      status: z.union([z.literal(500), z.literal(503), z.literal(429), z.literal(422)]),
      retry_after_s: z.number().int().min(0).max(3600).optional().describe('Retry-After of a 429, in real seconds; default 1'),
    })
    .optional()
    .describe('answer the first `count` sends to this target with this HTTP status, recording nothing (422: a refusal no retry changes)'),
  answer_after_ms: z
    .number()
    .int()
    .min(0)
    .max(600_000)
    .optional()
    .describe(
      'how long the API takes to answer a send it has accepted (its webhooks go out meanwhile): a slow provider, or a sender that dies before the answer',
    ),
  reply: z
    .strictObject({ after_ms: z.number().int().min(0), text: z.string().min(1).max(4096) })
    .optional()
    .describe('the recipient answers: an inbound webhook after `after_ms` from acceptance'),
});
export type Scenario = z.infer<typeof Scenario>;
export type FailFirst = NonNullable<Scenario['fail_first']>;

export const DEFAULT_SCENARIO: Scenario = { outcome: 'read' };

const DEFAULT_DELIVERED_AFTER_MS = 200;
const DEFAULT_READ_AFTER_MS = 1000;

/** Vonage error codes the simulator reports: a user not on the platform, a handset out of reach. */
export const STATUS_ERRORS = {
  rejected: { code: 1300, reason: 'Not part of the provider network' },
  undeliverable: { code: 1260, reason: 'Destination unreachable' },
} as const;
export type StatusError = (typeof STATUS_ERRORS)[keyof typeof STATUS_ERRORS];

export interface StatusStep {
  status: MessageStatus;
  /** Simulated ms after acceptance. */
  afterMs: number;
  error?: StatusError;
}

/** The status webhooks a scenario produces for a message on a channel, in order. */
export function statusPlan(scenario: Scenario, channel: ChannelType): StatusStep[] {
  const deliveredAfter = scenario.delivered_after_ms ?? DEFAULT_DELIVERED_AFTER_MS;
  const readAfter = Math.max(deliveredAfter, scenario.read_after_ms ?? DEFAULT_READ_AFTER_MS);
  const submitted: StatusStep = { status: 'submitted', afterMs: 0 };
  switch (scenario.outcome) {
    case 'read':
      return reportsRead(channel)
        ? [submitted, { status: 'delivered', afterMs: deliveredAfter }, { status: 'read', afterMs: readAfter }]
        : [submitted, { status: 'delivered', afterMs: deliveredAfter }];
    case 'delivered':
      return [submitted, { status: 'delivered', afterMs: deliveredAfter }];
    case 'rejected':
      return [{ status: 'rejected', afterMs: deliveredAfter, error: STATUS_ERRORS.rejected }];
    case 'undeliverable':
      return [submitted, { status: 'undeliverable', afterMs: deliveredAfter, error: STATUS_ERRORS.undeliverable }];
    case 'silent':
      return [submitted];
  }
}
