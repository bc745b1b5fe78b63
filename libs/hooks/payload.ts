import { z } from 'zod';
import { audienceFromLists, VariableName, variablesFromLists, XeniooLists, type ListIssue } from '#libs/audience';
import { issuePath, validationFailed, zodIssues } from '#libs/errors';
import { Token } from '#libs/events';
import { ContactChannel, VariableValue } from '#libs/store';
import type { LaunchRequest, LaunchTarget, Targeting } from './hookRepository.js';

/** The most contacts one call may name in targets mode. */
const MAX_TARGETS = 1000;

/** A JSON boolean, or its string form from a query: true/false (any case), 1/0. */
const Flag = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false', '1', '0']))
    .transform((value) => value === 'true' || value === '1'),
]);

const TargetInput = z.strictObject({
  id: Token.describe('the contact id'),
  name: z.string().max(200).optional(),
  channel: ContactChannel.optional().describe('{type, id_num}: needed to create a contact that does not exist'),
  channels: z.array(ContactChannel).max(20).optional(),
  variables: z.record(VariableName, VariableValue).default({}),
});

/** The fields a call's payload may carry; any other field is passed on in the event as it is. */
const HookCallFields = XeniooLists.extend({
  targets: z
    .array(TargetInput)
    .min(1)
    .max(MAX_TARGETS)
    .optional()
    .describe('targets mode: contacts by id, each with its own variables (POST only)'),
  set_conversation: Flag.optional().describe(
    'true: target the one contact with this address on `channel` (created when absent); filters are ignored',
  ),
  channel: z.string().optional().describe('set_conversation: the channel type'),
  user_id: z.string().trim().min(1).max(100).optional().describe("set_conversation: the contact's id on the channel"),
  user_phone_number: z
    .string()
    .trim()
    .min(1)
    .max(32)
    .optional()
    .describe("set_conversation: the contact's number, when there is no user_id"),
  user_name: z.string().max(200).optional().describe('set_conversation: the name of a contact it creates'),
});

type CallFields = z.infer<typeof HookCallFields>;

const KNOWN_FIELDS = new Set(Object.keys(HookCallFields.shape));

function fail(issues: ReadonlyArray<ListIssue>): never {
  throw validationFailed(issues.map((issue) => ({ path: issuePath(issue.path), message: issue.message })));
}

function conversationTargeting(call: CallFields, issues: ListIssue[]): Targeting | undefined {
  const variables = variablesFromLists(call, issues);
  const addressField = call.user_id !== undefined ? 'user_id' : 'user_phone_number';
  const address = call.user_id ?? call.user_phone_number;
  if (call.channel === undefined)
    issues.push({ path: ['channel'], message: 'set_conversation needs the channel type (sms, whatsapp, ...)' });
  if (address === undefined) issues.push({ path: ['user_id'], message: 'set_conversation needs user_id or user_phone_number' });
  if (call.channel === undefined || address === undefined) return undefined;
  const channel = ContactChannel.safeParse({ type: call.channel, id_num: address });
  if (!channel.success) {
    for (const issue of channel.error.issues)
      issues.push({ path: [issue.path[0] === 'type' ? 'channel' : addressField], message: issue.message });
    return undefined;
  }
  return { mode: 'conversation', channel: channel.data, ...(call.user_name ? { name: call.user_name } : {}), variables };
}

function targetsTargeting(call: CallFields & { targets: NonNullable<CallFields['targets']> }, issues: ListIssue[]): Targeting {
  if (call.audience_filters !== undefined) issues.push({ path: ['targets'], message: 'give targets or audience_filters, not both' });
  // Variables given beside the targets apply to each of them; a target's own win.
  const shared = variablesFromLists(call, issues);
  const seen = new Map<string, number>();
  const targets = call.targets.map((target, index): LaunchTarget => {
    const earlier = seen.get(target.id);
    if (earlier !== undefined)
      issues.push({ path: ['targets', index, 'id'], message: `contact "${target.id}" is already targets.${earlier}` });
    seen.set(target.id, index);
    return {
      id: target.id,
      ...(target.name ? { name: target.name } : {}),
      channels: [...(target.channel ? [target.channel] : []), ...(target.channels ?? [])],
      variables: { ...shared, ...target.variables },
    };
  });
  return { mode: 'targets', targets };
}

/**
 * A call's payload (the POST body, or the GET query in string form), validated into what its
 * launch will do. Problems are a 400 naming the field: `audience_criteria.1`, `targets.2.channel`.
 */
export function parseHookCall(method: 'GET' | 'POST', input: unknown): LaunchRequest {
  const payload = input ?? {};
  if (typeof payload !== 'object' || Array.isArray(payload)) fail([{ path: [], message: 'the payload must be a JSON object' }]);
  const parsed = HookCallFields.safeParse(payload);
  if (!parsed.success) throw validationFailed(zodIssues(parsed.error));
  const call = parsed.data;
  const issues: ListIssue[] = [];
  if (method === 'GET' && call.targets !== undefined)
    issues.push({ path: ['targets'], message: 'targets can only be sent in a POST body' });

  let targeting: Targeting | undefined;
  if (call.set_conversation) targeting = conversationTargeting(call, issues);
  else if (call.targets !== undefined) targeting = targetsTargeting({ ...call, targets: call.targets }, issues);
  else {
    const audience = audienceFromLists(call, issues);
    targeting = { mode: 'audience', audience: audience ?? null, variables: variablesFromLists(call, issues) };
  }
  if (issues.length > 0 || !targeting) fail(issues);

  const fields = Object.fromEntries(Object.entries(payload).filter(([key]) => !KNOWN_FIELDS.has(key)));
  return { method, targeting, fields };
}
