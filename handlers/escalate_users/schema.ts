import { z } from 'zod';
import { Token } from '#libs/events';
import { isTemplated } from '#libs/templates';
import {
  CHANNEL_TYPES,
  CHANNEL_TYPES_HELP,
  CHANNELS,
  channelsWhere,
  inWords,
  normalizeChannelType,
  reportsRead,
  type ChannelType,
} from '#libs/vonage';
import { fromTutorialFormat } from './tutorialFormat.js';

export const EXPIRY_MIN_S = 15;
export const EXPIRY_MAX_S = 86_400;
export const DEFAULT_EXPIRY_S = 600;
export const DEFAULT_TEXT = '[{{user.name}}]: {{event.event_data.message}}';

// For the descriptions: which channels take a number, which an id, which never report read.
const BY_NUMBER = channelsWhere((spec) => spec.recipient === 'number').join(', ');
const BY_ID = channelsWhere((spec) => spec.recipient === 'id').join(', ');
const NEVER_READ = inWords(channelsWhere((spec) => !spec.reportsRead));

const Seconds = z.coerce.number().int('must be a whole number of seconds');

const ChannelEntry = z.object({
  type: z.string().describe(CHANNEL_TYPES_HELP),
  id_num: z.string().min(1).max(256).describe(`the user's number (${BY_NUMBER}) or id (${BY_ID})`),
  condition_status: z
    .enum(['read', 'delivered'])
    .optional()
    .describe(`what counts as success on this channel; default read (delivered for ${NEVER_READ})`),
  expiry_time: Seconds.optional().describe('seconds to wait for the condition before the next channel, 15 to 86400; may be a string'),
});

const InlineUser = z.object({
  name: z.string().min(1).max(256),
  channels: z.array(ChannelEntry).describe('two or more, in order; the last is the final fallback'),
  final_expiry: Seconds.min(EXPIRY_MIN_S).max(EXPIRY_MAX_S).optional().describe('seconds to wait on the last channel before the next user'),
});

const ContactUser = z.object({
  contact: Token.describe('a contact id from the contacts store; its channels in order'),
  name: z.string().min(1).max(256).optional(),
  final_expiry: Seconds.min(EXPIRY_MIN_S).max(EXPIRY_MAX_S).optional(),
});

const UserEntry = z.union([InlineUser, ContactUser, Token.describe('a contact id')]);

export type ChannelEntry = z.infer<typeof ChannelEntry>;
export type UserEntry = z.infer<typeof UserEntry>;

function channelLabel(users: unknown[], userIndex: number, channelIndex: number, type?: string): string {
  const user = users[userIndex] as { name?: string } | undefined;
  return `user "${user?.name ?? userIndex + 1}", channel ${channelIndex + 1}${type ? ` (${type})` : ''}`;
}

/**
 * The escalate_users config, in the tutorial's format or the lower-case one. The checks name the
 * user and the channel, because the person fixing the file thinks in those terms.
 */
export function escalateUsersConfig(options: { maxRepeat: number }) {
  const Config = z
    .object({
      app: z
        .object({ app_id: z.string().min(1), private_key: z.string().min(1) })
        .optional()
        .describe("the tutorial's APP block; the server's Vonage application applies by default"),
      from: z.record(z.string(), z.string().min(1)).optional().describe("sender per channel type; default the server's VONAGE_FROM_*"),
      users: z
        .union([
          z.array(UserEntry).min(1, 'no users: give at least one user to escalate to'),
          z.string().refine(isTemplated, 'give a list of users (or a template of one)'),
        ])
        .describe('in priority order: inline users ({name, channels}), contact ids, or {contact}'),
      text: z.string().min(1).max(4096).default(DEFAULT_TEXT).describe('the message; a template over the event, user and channel'),
      mode: z
        .enum(['messages', 'dispatch'])
        .default('messages')
        .describe('messages: the engine fails over itself (Messages API); dispatch: one Dispatch API workflow per user'),
      repeat: Seconds.min(0)
        .max(options.maxRepeat, `at most ${options.maxRepeat} repeats on this server`)
        .default(0)
        .describe('passes over the whole list after the first'),
      failover: z
        .object({ condition_status: z.enum(['read', 'delivered']).optional(), expiry_time: Seconds.optional() })
        .optional()
        .describe('defaults for every channel but the last (the tutorial case 2: read within 600 s)'),
      final_expiry: Seconds.min(EXPIRY_MIN_S)
        .max(EXPIRY_MAX_S)
        .default(DEFAULT_EXPIRY_S)
        .describe("default seconds to wait on a user's last channel"),
    })
    .superRefine((config, ctx) => {
      if (!Array.isArray(config.users)) return;
      const inUse = new Map<ChannelType, string>();
      const fromTypes = new Map<ChannelType, string>();
      for (const key of Object.keys(config.from ?? {})) {
        const type = normalizeChannelType(key);
        if (type) fromTypes.set(type, key);
        else
          ctx.addIssue({
            code: 'custom',
            path: ['from', key],
            message: `unknown channel type "${key}" in FROM: use one of ${CHANNEL_TYPES.join(', ')}`,
          });
      }
      config.users.forEach((user, u) => {
        if (typeof user !== 'object' || !('channels' in user)) return;
        if (user.channels.length < 2) {
          ctx.addIssue({
            code: 'custom',
            path: ['users', u, 'channels'],
            message: `user "${user.name}" has ${user.channels.length} channel${user.channels.length === 1 ? '' : 's'}: give at least two (the last is the final fallback)`,
          });
        }
        user.channels.forEach((channel, c) => {
          const path = ['users', u, 'channels', c];
          // A template is checked once rendered (route saves leave issues on templates for then), never planned as it is.
          const type = normalizeChannelType(channel.type);
          if (!type) {
            ctx.addIssue({
              code: 'custom',
              path: [...path, 'type'],
              message: `${channelLabel(config.users as unknown[], u, c)}: unknown channel type "${channel.type}": use one of ${CHANNEL_TYPES_HELP}`,
            });
            return;
          }
          const label = channelLabel(config.users as unknown[], u, c, type);
          if (!inUse.has(type)) inUse.set(type, label);
          if (channel.expiry_time !== undefined && (channel.expiry_time < EXPIRY_MIN_S || channel.expiry_time > EXPIRY_MAX_S)) {
            ctx.addIssue({
              code: 'custom',
              path: [...path, 'expiry_time'],
              message: `${label}: expiry_time ${channel.expiry_time} is out of range: ${EXPIRY_MIN_S} to ${EXPIRY_MAX_S} seconds`,
            });
          }
          if (channel.condition_status === 'read' && !reportsRead(type)) {
            ctx.addIssue({
              code: 'custom',
              path: [...path, 'condition_status'],
              message: `${label}: ${type} never reports read: use condition_status "delivered" (its default)`,
            });
          }
          if (config.mode === 'dispatch' && !CHANNELS[type].dispatchName) {
            ctx.addIssue({
              code: 'custom',
              path: [...path, 'type'],
              message: `${label}: the Dispatch API cannot send ${type}: use mode "messages"`,
            });
          }
        });
      });
      const defaultExpiry = config.failover?.expiry_time;
      if (defaultExpiry !== undefined && (defaultExpiry < EXPIRY_MIN_S || defaultExpiry > EXPIRY_MAX_S)) {
        ctx.addIssue({
          code: 'custom',
          path: ['failover', 'expiry_time'],
          message: `expiry_time ${defaultExpiry} is out of range: ${EXPIRY_MIN_S} to ${EXPIRY_MAX_S} seconds`,
        });
      }
      if (config.from) {
        for (const [type, label] of inUse) {
          if (!fromTypes.has(type))
            ctx.addIssue({ code: 'custom', path: ['from'], message: `FROM has no sender for ${type}, which ${label} uses` });
        }
      }
    });
  return z.preprocess(fromTutorialFormat, Config);
}

export type EscalateUsersConfig = z.infer<ReturnType<typeof escalateUsersConfig>>;
