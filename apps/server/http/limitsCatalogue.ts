import { SettingsSchema, type RawSettings, type Settings } from '#libs/config';
import { AccountLimits } from '#libs/limits';

/** Settings whose value is a number: the ones a limit can be. */
type NumericSetting = { [K in keyof RawSettings]-?: RawSettings[K] extends number ? K : never }[keyof RawSettings];

/**
 * One limit as `GET /v1/limits` answers it; README's Limits table has a row for each (a test
 * compares the two), so this list is where a limit is documented.
 */
export interface ListedLimit {
  name: string;
  /** `account`: each account's own, which an operator may set per account; `server`: one for everyone. */
  per: 'account' | 'server';
  value: number;
  /** What it is when its setting is not set. */
  default: number;
  setting: NumericSetting;
  description: string;
  /** What a caller gets past it. */
  past_it: string;
}

const QUOTA_REFUSAL = '507 quota_exceeded on new events (through the API, the bus or a launch hook) and escalations';
const JSON_SHAPE_REFUSAL = '400 validation_failed naming the path (on the bus: a malformed dead letter)';

/** The setting and the answer past it of each account limit; what it is comes from its schema's description. */
const ACCOUNT_LIMITS: { [K in keyof AccountLimits]: { setting: NumericSetting; past_it: string } } = {
  fanout_budget: {
    setting: 'SWITCHBOARD_FANOUT_BUDGET',
    past_it: 'events past it are not published; the root event gets one dead letter (fanout_exceeded), later ones are counted',
  },
  max_stored_events: { setting: 'SWITCHBOARD_MAX_STORED_EVENTS', past_it: QUOTA_REFUSAL },
  max_queued_deliveries: { setting: 'SWITCHBOARD_MAX_QUEUED_DELIVERIES', past_it: `${QUOTA_REFUSAL}, and on delivery replays` },
  max_dead_letters: { setting: 'SWITCHBOARD_MAX_DEAD_LETTERS', past_it: QUOTA_REFUSAL },
  max_running_escalations: { setting: 'SWITCHBOARD_MAX_RUNNING_ESCALATIONS', past_it: QUOTA_REFUSAL },
};

interface ServerLimit extends Omit<ListedLimit, 'per' | 'value' | 'default'> {
  value: (settings: Settings) => number;
}

/** Limits with one value for every caller. */
const SERVER_LIMITS: readonly ServerLimit[] = [
  {
    name: 'body_limit_bytes',
    setting: 'SWITCHBOARD_BODY_LIMIT_BYTES',
    value: (s) => s.http.bodyLimit,
    description: 'the largest request body',
    past_it: '413 payload_too_large',
  },
  {
    name: 'json_max_depth',
    setting: 'SWITCHBOARD_JSON_MAX_DEPTH',
    value: (s) => s.jsonShape.maxDepth,
    description: 'the deepest nesting of objects and arrays in a JSON body, a launch hook query or an event on the bus',
    past_it: JSON_SHAPE_REFUSAL,
  },
  {
    name: 'json_max_keys',
    setting: 'SWITCHBOARD_JSON_MAX_KEYS',
    value: (s) => s.jsonShape.maxEntries,
    description: 'the most keys in one object, or items in one array, of the same',
    past_it: JSON_SHAPE_REFUSAL,
  },
  {
    name: 'events_per_second',
    setting: 'SWITCHBOARD_RATE_EVENTS_PER_S',
    value: (s) => s.http.rateLimits.eventsPerSecond,
    description: 'events one account may publish a second through the API',
    past_it: '429 rate_limited with Retry-After',
  },
  {
    name: 'hook_launches_per_second',
    setting: 'SWITCHBOARD_RATE_HOOK_LAUNCHES_PER_S',
    value: (s) => s.http.rateLimits.hookLaunchesPerSecond,
    description: 'calls a second to one launch hook',
    past_it: '429 rate_limited with Retry-After',
  },
  {
    name: 'max_event_depth',
    setting: 'SWITCHBOARD_MAX_DEPTH',
    value: (s) => s.dispatch.maxDepth,
    description: 'the longest chain of events emitted by routes',
    past_it: 'the event is dead-lettered (depth_exceeded)',
  },
  {
    name: 'max_attempts',
    setting: 'SWITCHBOARD_MAX_ATTEMPTS',
    value: (s) => s.dispatch.maxAttempts,
    description: 'tries of a failing step or message',
    past_it: 'it is dead-lettered',
  },
  {
    name: 'max_repeat',
    setting: 'SWITCHBOARD_MAX_REPEAT',
    value: (s) => s.maxRepeat,
    description: 'the most `repeat` an escalation may ask for',
    past_it: '400 validation_failed',
  },
  {
    name: 'events_max_age_s',
    setting: 'SWITCHBOARD_EVENTS_MAX_AGE_S',
    value: (s) => s.streams.eventsMaxAgeS,
    description: 'how long EVENTS keeps an event',
    past_it: 'removed',
  },
  {
    name: 'events_max_bytes',
    setting: 'SWITCHBOARD_EVENTS_MAX_BYTES',
    value: (s) => s.streams.eventsMaxBytes,
    description: 'the most EVENTS holds, every account together',
    past_it: 'the oldest events are removed',
  },
  {
    name: 'dead_letters_max_age_s',
    setting: 'SWITCHBOARD_DEADLETTER_MAX_AGE_S',
    value: (s) => s.streams.deadLettersMaxAgeS,
    description: 'how long a dead letter is kept',
    past_it: 'removed',
  },
  {
    name: 'dead_letters_max_bytes',
    setting: 'SWITCHBOARD_DEADLETTER_MAX_BYTES',
    value: (s) => s.streams.deadLettersMaxBytes,
    description: 'the most DEADLETTER holds, every account together',
    past_it: 'no dead letter is stored: what failed is retried until there is room',
  },
  {
    name: 'queued_deliveries_max_bytes',
    setting: 'SWITCHBOARD_DELIVERIES_MAX_BYTES',
    value: (s) => s.streams.deliveriesMaxBytes,
    description: 'the most DELIVERIES (webhook deliveries to make) holds, every account together',
    past_it: 'no delivery is queued: its event is retried until there is room',
  },
  {
    name: 'delivery_records_max_age_s',
    setting: 'SWITCHBOARD_DELIVERY_RETENTION_S',
    value: (s) => s.streams.deliveryRecordsMaxAgeS,
    description: "how long a webhook delivery's record (status and attempts) is kept",
    past_it: 'removed',
  },
  {
    name: 'escalation_retention_s',
    setting: 'SWITCHBOARD_ESCALATION_RETENTION_S',
    value: (s) => s.escalationRetentionS,
    description: 'how long an ended escalation is kept (0: for ever)',
    past_it: 'removed whole',
  },
];

/** A setting's value when the environment does not set it. */
function defaultOf(setting: NumericSetting): number {
  return SettingsSchema.shape[setting].parse(undefined);
}

/** The account limits, with the values given (an account's effective ones, or the defaults). */
export function accountLimitList(values: AccountLimits): ListedLimit[] {
  return (Object.keys(ACCOUNT_LIMITS) as Array<keyof AccountLimits>).map((name) => ({
    name,
    per: 'account',
    value: values[name],
    default: defaultOf(ACCOUNT_LIMITS[name].setting),
    setting: ACCOUNT_LIMITS[name].setting,
    description: AccountLimits.shape[name].description ?? name,
    past_it: ACCOUNT_LIMITS[name].past_it,
  }));
}

/** The limits with one value for every caller, as this server is set. */
export function serverLimitList(settings: Settings): ListedLimit[] {
  return SERVER_LIMITS.map(({ value, ...limit }) => ({
    ...limit,
    per: 'server',
    value: value(settings),
    default: defaultOf(limit.setting),
  }));
}
