import { SwitchboardError, validationFailed, type FieldIssue } from '#libs/errors';
import type { Contact } from '#libs/store';
import type { EscalationPlan, PlanChannel, PlanUser } from '#libs/escalation';
import { normalizeAddress, normalizeChannelType, normalizeSender, reportsRead, senderSetting, type ChannelType } from '#libs/vonage';
import { DEFAULT_EXPIRY_S, type ChannelEntry, type EscalateUsersConfig, type UserEntry } from './schema.js';

export interface PlanContext {
  account: string;
  /** Looks up a user given as a contact id. */
  findContact(id: string): Promise<Contact | undefined>;
  /** The server's sender for a channel, when the config has no FROM for it. */
  senderFor(type: ChannelType): string | undefined;
}

type Defaults = Pick<EscalateUsersConfig, 'failover' | 'final_expiry'>;

function conditionFor(type: ChannelType, given: 'read' | 'delivered' | undefined): 'read' | 'delivered' {
  // SMS never reports read: a default of read would always run out the expiry.
  return given === 'read' && !reportsRead(type) ? 'delivered' : (given ?? (reportsRead(type) ? 'read' : 'delivered'));
}

function planChannel(entry: ChannelEntry, from: (type: ChannelType) => string, defaults: Defaults): PlanChannel {
  const type = normalizeChannelType(entry.type)!;
  return {
    type,
    to: entry.id_num,
    from: from(type),
    condition: entry.condition_status ?? conditionFor(type, defaults.failover?.condition_status),
    expiry_s: entry.expiry_time ?? defaults.failover?.expiry_time ?? DEFAULT_EXPIRY_S,
  };
}

async function planUser(
  entry: UserEntry,
  index: number,
  ctx: PlanContext,
  from: (type: ChannelType) => string,
  defaults: Defaults,
): Promise<PlanUser> {
  if (typeof entry === 'object' && 'channels' in entry) {
    const last = entry.channels.at(-1);
    return {
      name: entry.name,
      channels: entry.channels.map((channel) => planChannel(channel, from, defaults)),
      // A case-3 file gives every channel an expiry: on the last one it is the wait before the next user.
      final_expiry_s: entry.final_expiry ?? last?.expiry_time ?? defaults.final_expiry,
    };
  }
  const contactId = typeof entry === 'string' ? entry : entry.contact;
  const contact = await ctx.findContact(contactId);
  if (!contact)
    throw validationFailed([{ path: `users.${index}`, message: `contact "${contactId}" does not exist in account ${ctx.account}` }]);
  const name = (typeof entry === 'object' ? entry.name : undefined) ?? contact.name ?? contact.id;
  if (contact.channels.length < 2) {
    throw validationFailed([
      {
        path: `users.${index}`,
        message: `user "${name}" (contact ${contact.id}) has ${contact.channels.length} channel(s): an escalation needs at least two`,
      },
    ]);
  }
  return {
    name,
    contact_id: contact.id,
    channels: contact.channels.map((channel) => planChannel({ type: channel.type, id_num: channel.id_num }, from, defaults)),
    final_expiry_s: (typeof entry === 'object' ? entry.final_expiry : undefined) ?? defaults.final_expiry,
  };
}

/** The resolved plan an escalation runs: users (contacts looked up), senders, conditions and expiries. */
export async function buildPlan(config: EscalateUsersConfig, ctx: PlanContext): Promise<EscalationPlan> {
  if (!Array.isArray(config.users)) throw validationFailed([{ path: 'users', message: 'the users template did not render to a list' }]);
  const configured = new Map<ChannelType, string>();
  for (const [key, value] of Object.entries(config.from ?? {})) {
    const type = normalizeChannelType(key);
    if (type) configured.set(type, value);
  }
  const from = (type: ChannelType): string => {
    const sender = configured.get(type) ?? ctx.senderFor(type);
    if (!sender)
      throw new SwitchboardError(
        'validation_failed',
        `no sender for ${type}: add it to FROM in the config, or set ${senderSetting(type)} on the server`,
      );
    return sender;
  };
  const users = [];
  for (const [index, entry] of config.users.entries()) users.push(await planUser(entry, index, ctx, from, config));
  return { mode: config.mode, users, rounds: config.repeat + 1, text: config.text };
}

export interface PlannedStep {
  round: number;
  user: string;
  channel: ChannelType;
  to: string;
  condition: 'read' | 'delivered';
  /** Seconds from the start when this message is sent, if nobody has read earlier ones. */
  send_at_s: number;
  /** Seconds from the start when it gives way to the next channel or user. */
  moves_on_at_s: number;
}

/** The worst case, nobody reading: every send in order with the time of each failover. */
export function planTimeline(plan: EscalationPlan): PlannedStep[] {
  const steps: PlannedStep[] = [];
  let clock = 0;
  for (let round = 0; round < plan.rounds; round++) {
    for (const user of plan.users) {
      user.channels.forEach((channel, index) => {
        const wait = index === user.channels.length - 1 ? user.final_expiry_s : channel.expiry_s;
        steps.push({
          round,
          user: user.name,
          channel: channel.type,
          to: channel.to,
          condition: channel.condition,
          send_at_s: clock,
          moves_on_at_s: clock + wait,
        });
        clock += wait;
      });
    }
  }
  return steps;
}

/**
 * The most messages one escalation may plan to send (every channel of every user, each round):
 * its state and its outcome event list every attempt, and must stay well within a NATS message.
 */
export const MAX_PLANNED_SENDS = 200;

/** A plan over MAX_PLANNED_SENDS. */
function sizeIssues(plan: EscalationPlan): FieldIssue[] {
  const sends = plan.rounds * plan.users.reduce((sum, user) => sum + user.channels.length, 0);
  if (sends <= MAX_PLANNED_SENDS) return [];
  const rounds = `${plan.rounds} round${plan.rounds === 1 ? '' : 's'}`;
  return [
    {
      path: 'users',
      message: `the plan sends ${sends} messages if nobody reads (every user's channels, ${rounds}): at most ${MAX_PLANNED_SENDS} in one escalation`,
    },
  ];
}

/** Addresses and senders that cannot be sent to as they are (the tutorial's "USER PHONE NUMBER", say). */
function addressIssues(plan: EscalationPlan): FieldIssue[] {
  return plan.users.flatMap((user, u) =>
    user.channels.flatMap((channel, c) => {
      const label = `user "${user.name}", channel ${c + 1} (${channel.type})`;
      const address = normalizeAddress(channel.type, channel.to);
      const sender = normalizeSender(channel.type, channel.from);
      return [
        ...(address.ok ? [] : [{ path: `users.${u}.channels.${c}.id_num`, message: `${label}: ${address.message}` }]),
        ...(sender.ok ? [] : [{ path: `from.${channel.type}`, message: `${label}: FROM ${sender.message}` }]),
      ];
    }),
  );
}

/** What makes a plan unsendable as it is. */
export function unsendable(plan: EscalationPlan): FieldIssue[] {
  return [...sizeIssues(plan), ...addressIssues(plan)];
}
