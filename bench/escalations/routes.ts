import type { ChannelType } from '#libs/vonage';

/** The benchmark's account: its escalations, routes and events are one key prefix and one subject prefix. */
export const BENCH_ACCOUNT = 'bench-esc';
export const CONVERSATION = { conversation_type: 'monitor', conversation_key: 'bench' } as const;

export interface ShapeChannel {
  /** As written in the config (the tutorial's `viber_service_msg` included). */
  configType: string;
  type: ChannelType;
  /** Plan seconds this channel waits for its condition; on a user's last channel, the wait before the next user. */
  expiryS: number;
}

export interface ShapeUser {
  name: string;
  channels: ShapeChannel[];
}

/** One route: the users an escalation reaches, in order, each on their channels in order. */
export interface BenchRoute {
  id: string;
  eventType: string;
  users: ShapeUser[];
  /** The route's escalate_users config, recipients as templates over the trigger's event_data. */
  config: Record<string, unknown>;
}

const FROM = { MESSENGER: 'company-page', VIBER: 'company-viber', WHATSAPP: '447700900000', SMS: 'Company', RCS: 'company-rcs' };

const channel = (configType: string, type: ChannelType, expiryS: number): ShapeChannel => ({ configType, type, expiryS });

/** The event_data key holding an escalation's address for user u, channel c. */
export function addressKey(user: number, channelIndex: number): string {
  return `u${user}c${channelIndex}`;
}

const addressTemplate = (user: number, channelIndex: number) => `{{event.event_data.to.${addressKey(user, channelIndex)}}}`;

/** The tutorial's file format (upper-case keys, case 3: an expiry on every channel, the last one being the final wait). */
function tutorialConfig(users: ShapeUser[]): Record<string, unknown> {
  return {
    FROM,
    USERS: users.map((user, u) => ({
      name: user.name,
      channels: user.channels.map((one, c) => ({ type: one.configType, id_num: addressTemplate(u, c), expiry_time: one.expiryS })),
    })),
  };
}

/** The one value all of these are, or an error: the defaults format cannot say anything else. */
function single(values: number[], what: string): number {
  const distinct = [...new Set(values)];
  if (distinct.length !== 1) throw new Error(`a defaults-format route needs one ${what}, the shape has ${distinct.join(', ')}`);
  return distinct[0]!;
}

/** The lower-case format with the tutorial's case-2 defaults: one failover expiry for every channel but the last, one final expiry. */
function defaultsConfig(users: ShapeUser[]): Record<string, unknown> {
  const failoverS = single(
    users.flatMap((user) => user.channels.slice(0, -1).map((one) => one.expiryS)),
    'failover expiry',
  );
  const finalS = single(
    users.map((user) => user.channels.at(-1)!.expiryS),
    'final expiry',
  );
  return {
    from: Object.fromEntries(Object.entries(FROM).map(([key, value]) => [key.toLowerCase(), value])),
    failover: { expiry_time: failoverS },
    final_expiry: finalS,
    users: users.map((user, u) => ({
      name: user.name,
      channels: user.channels.map((one, c) => ({ type: one.configType, id_num: addressTemplate(u, c) })),
    })),
  };
}

function route(id: string, users: ShapeUser[], config: (users: ShapeUser[]) => Record<string, unknown>): BenchRoute {
  return { id, eventType: `down_${id.replace(/-/g, '_')}`, users, config: config(users) };
}

/**
 * A handful of routes, 3 users each with 2 or 3 channels, covering every channel type the
 * tutorial uses plus RCS, SMS both first (success = delivered) and last, and both config formats.
 * Expiries are 60 to 90 plan seconds, long against the scenarios' read delays (at most 15 s).
 */
export function benchRoutes(): BenchRoute[] {
  return [
    route(
      'tutorial',
      [
        { name: 'Tony', channels: [channel('messenger', 'messenger', 60), channel('sms', 'sms', 60)] },
        {
          name: 'Michael',
          channels: [channel('viber_service_msg', 'viber_service', 60), channel('whatsapp', 'whatsapp', 60), channel('sms', 'sms', 90)],
        },
        { name: 'Ana', channels: [channel('whatsapp', 'whatsapp', 90), channel('sms', 'sms', 60)] },
      ],
      tutorialConfig,
    ),
    route(
      'three-deep',
      [
        { name: 'Bea', channels: [channel('whatsapp', 'whatsapp', 60), channel('viber', 'viber_service', 60), channel('sms', 'sms', 60)] },
        { name: 'Carl', channels: [channel('messenger', 'messenger', 60), channel('whatsapp', 'whatsapp', 60), channel('sms', 'sms', 60)] },
        { name: 'Dana', channels: [channel('rcs', 'rcs', 60), channel('viber', 'viber_service', 60), channel('sms', 'sms', 60)] },
      ],
      defaultsConfig,
    ),
    route(
      'sms-first',
      [
        { name: 'Eve', channels: [channel('sms', 'sms', 90), channel('whatsapp', 'whatsapp', 90)] },
        {
          name: 'Finn',
          channels: [channel('sms', 'sms', 90), channel('messenger', 'messenger', 90), channel('viber', 'viber_service', 90)],
        },
        { name: 'Gus', channels: [channel('sms', 'sms', 90), channel('rcs', 'rcs', 90)] },
      ],
      defaultsConfig,
    ),
    route(
      'short-chains',
      [
        { name: 'Hana', channels: [channel('messenger', 'messenger', 90), channel('sms', 'sms', 60)] },
        { name: 'Ivo', channels: [channel('whatsapp', 'whatsapp', 60), channel('sms', 'sms', 90)] },
        { name: 'Jo', channels: [channel('viber_service_msg', 'viber_service', 60), channel('whatsapp', 'whatsapp', 90)] },
      ],
      tutorialConfig,
    ),
  ];
}
