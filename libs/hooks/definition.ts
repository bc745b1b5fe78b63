import { z } from 'zod';
import { Audience } from '#libs/audience';
import { Token } from '#libs/events';
import { HookRepository, MAX_DEBOUNCE_S, type Hook } from './hookRepository.js';
import { HostPattern } from './hosts.js';
import { newHookId, newHookToken } from './token.js';

const DEFAULT_DEBOUNCE_S = 10;
const MAX_ALLOWED_HOSTS = 100;

const fields = {
  name: z.string().trim().min(1).max(200).describe('a label for people'),
  enabled: z.boolean().describe('a disabled hook answers 404 and launches nothing'),
  default_audience: Audience.nullable().describe(
    'who a launch targets when the call names no audience: {join, conditions: [{field, criterion, value}]}; null: nobody',
  ),
  debounce_s: z
    .number()
    .min(0)
    .max(MAX_DEBOUNCE_S)
    .describe('seconds between the last call and the launch; a call in between starts the wait again'),
  allow_get: z.boolean().describe('whether GET /hooks/<token> launches it'),
  allow_post: z.boolean().describe('whether POST /hooks/<token> launches it'),
  allowed_hosts: z
    .array(HostPattern)
    .max(MAX_ALLOWED_HOSTS)
    .describe('IPs and CIDR ranges (IPv4 or IPv6) it may be called from; empty: anywhere'),
};

const EventFields = {
  conversation_type: Token.describe('default "hook"'),
  conversation_key: Token.describe("default the hook's id"),
  event_type: Token.describe('the event routes match on'),
};

const oneMethod = (hook: { allow_get?: boolean; allow_post?: boolean }) => hook.allow_get !== false || hook.allow_post !== false;
const ONE_METHOD_MESSAGE = 'allow at least one of GET and POST (disable the hook to stop it)';

/** A new hook as clients send it: unknown fields are refused, so a misspelt `allowed_hosts` is not silently open. */
export const HookInput = z
  .strictObject({
    name: fields.name.optional(),
    enabled: fields.enabled.default(true),
    event: z.strictObject({
      conversation_type: EventFields.conversation_type.default('hook'),
      conversation_key: EventFields.conversation_key.optional(),
      event_type: EventFields.event_type,
    }),
    default_audience: fields.default_audience.default(null),
    debounce_s: fields.debounce_s.default(DEFAULT_DEBOUNCE_S),
    allow_get: fields.allow_get.default(true),
    allow_post: fields.allow_post.default(true),
    allowed_hosts: fields.allowed_hosts.default([]),
  })
  .refine(oneMethod, { message: ONE_METHOD_MESSAGE, path: ['allow_post'] });

/** A change to a hook: only the fields given change. */
export const HookPatch = z.strictObject({
  name: fields.name.optional(),
  enabled: fields.enabled.optional(),
  event: z
    .strictObject({
      conversation_type: EventFields.conversation_type,
      conversation_key: EventFields.conversation_key,
      event_type: EventFields.event_type,
    })
    .partial()
    .optional(),
  default_audience: fields.default_audience.optional(),
  debounce_s: fields.debounce_s.optional(),
  allow_get: fields.allow_get.optional(),
  allow_post: fields.allow_post.optional(),
  allowed_hosts: fields.allowed_hosts.optional(),
});

export type HookInput = z.infer<typeof HookInput>;
export type HookPatch = z.infer<typeof HookPatch>;

/** A new hook and its token: the token is shown once, and only a hash of it is stored. */
export function newHook(account: string, input: HookInput, now = new Date()): { hook: Hook; token: string } {
  const id = newHookId();
  const token = newHookToken();
  const at = now.toISOString();
  const { event, ...settings } = input;
  return {
    token,
    hook: {
      ...settings,
      id,
      account_key: account,
      event: { ...event, conversation_key: event.conversation_key ?? id },
      token_index: HookRepository.tokenIndex(token),
      created_at: at,
      updated_at: at,
    },
  };
}

/** The hook with a patch applied, or the reason it cannot be. */
export function patchedHook(hook: Hook, patch: HookPatch, now = new Date()): { hook: Hook } | { error: { path: string; message: string } } {
  const { event, ...settings } = patch;
  const next: Hook = { ...hook, ...settings, event: { ...hook.event, ...event }, updated_at: now.toISOString() };
  if (!oneMethod(next)) return { error: { path: 'allow_post', message: ONE_METHOD_MESSAGE } };
  return { hook: next };
}
