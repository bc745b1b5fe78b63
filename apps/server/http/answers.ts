import { z } from 'zod';
import { Revocation } from '#libs/auth';
import { DeadLetter } from '#libs/deadletters';
import { EscalationView } from '#libs/escalation';
import { VumiApiEvent } from '#libs/events';
import { Hook, LastLaunch } from '#libs/hooks';
import { ApiErrorBody } from '#libs/http';
import { AccountLimits, AccountLimitsOverride } from '#libs/limits';
import { Broadcast, Contact, Delivery, MessageRecord, Route, StatusReceipt, Subscription } from '#libs/store';

/*
 * What each endpoint answers, as zod schemas built from the models they show: the contract that
 * clients (apps/cli) and the tests parse answers with, so an answer that drifts from its model
 * fails where it is read.
 */

export { ApiErrorBody, Broadcast, Contact, Delivery, EscalationView, Revocation, Route };

/** `POST …/events`: stored (or found stored: `duplicate`). */
export const EventAccepted = z.object({
  event_id: z.string(),
  subject: z.string(),
  seq: z.number().int(),
  duplicate: z.boolean(),
  timestamp: z.string(),
});

/** `GET …/events/unrouted`. */
export const UnroutedList = z.object({ unrouted: z.array(z.object({ event: VumiApiEvent, recorded_at: z.string() })) });

export const RouteList = z.object({ routes: z.array(Route) });

export const ContactList = z.object({ contacts: z.array(Contact) });

export const EscalationPage = z.object({ escalations: z.array(EscalationView), total: z.number().int() });

/** A message as it was sent, with its status timeline. */
export const MessageView = MessageRecord.extend({ statuses: z.array(StatusReceipt) });

/** A hook as the API shows it: never its token, with its pending and last launch. */
export const HookView = Hook.omit({ token_index: true }).extend({
  launch: z.object({
    pending: z
      .object({
        launch_at: z.string(),
        calls: z.number().int(),
        first_called_at: z.string(),
        last_called_at: z.string(),
        mode: z.enum(['audience', 'targets', 'conversation']),
      })
      .nullable(),
    last: LastLaunch.nullable(),
  }),
});

/** Where a hook is called: its token, shown when it is created or given a new one, and never again. */
export const LaunchUrls = z.object({ token: z.string(), launch_path: z.string(), launch_url: z.string() });

export const HookCreated = HookView.extend(LaunchUrls.shape);
export type HookCreated = z.infer<typeof HookCreated>;

export const HookList = z.object({ hooks: z.array(HookView) });

/** A call of a launch hook: its launch scheduled at the end of the quiet period. */
export const HookCalled = z.object({ scheduled: z.literal(true), launch_at: z.string() });

/** A subscription as shown after its creation: the secret masked (so not a valid secret itself). */
export const SubscriptionView = Subscription.extend({ secret: z.string() });
export type SubscriptionView = z.infer<typeof SubscriptionView>;

export const SubscriptionList = z.object({ subscriptions: z.array(SubscriptionView) });

export const DeliveryList = z.object({ deliveries: z.array(Delivery) });

export const StoredDeadLetter = DeadLetter.extend({ id: z.number().int() });

export const DeadLetterList = z.object({ deadletters: z.array(StoredDeadLetter) });

/** A dead letter published again. */
export const Replayed = z.object({ replayed: z.number().int(), event_id: z.string(), seq: z.number().int() });

export const ListedLimit = z.object({
  name: z.string(),
  per: z.enum(['account', 'server']),
  value: z.number(),
  default: z.number(),
  setting: z.string(),
  description: z.string(),
  past_it: z.string(),
  /** What the account holds against a quota, when an account's limits are listed. */
  used: z.number().optional(),
});
export type ListedLimit = z.infer<typeof ListedLimit>;

/** `GET /v1/limits`: every limit the caller meets. */
export const LimitsList = z.object({ account: z.string().nullable(), limits: z.array(ListedLimit) });

/** An operator's view of one account's limits: their values and the overrides that set them. */
export const AccountLimitsView = z.object({ account: z.string(), limits: AccountLimits, overrides: AccountLimitsOverride });

export const RevokedList = z.object({ revoked: z.array(Revocation) });

/** `GET /v1/handlers`: each handler type with its config's JSON Schema. */
export const HandlerCatalogue = z.object({
  handlers: z.array(z.object({ type: z.string(), description: z.string(), config_schema: z.record(z.string(), z.unknown()) })),
});

export const Readiness = z.object({ ready: z.boolean(), reason: z.string().optional() });
