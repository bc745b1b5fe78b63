import { z } from 'zod';
import { SwitchboardError, validationError } from '#libs/errors';
import { normalizeAddress, normalizeSender } from './channelAddresses.js';
import { CHANNELS, DISPATCH_CHANNEL_TYPES, inWords, recipientKind, reportsRead, senderKind, type ChannelType } from './channels.js';

/** When a Dispatch step gives way to the next: `condition_status` not reached within `expiry_time` seconds. */
export const FailoverCondition = z.object({
  condition_status: z.enum(['read', 'delivered']),
  expiry_time: z.number().int().min(15).max(86_400),
});
export type FailoverCondition = z.infer<typeof FailoverCondition>;

/** One step of a failover workflow; `failover` defaults to the workflow's (see dispatchBody). */
export interface DispatchItem {
  channel: ChannelType;
  to: string;
  from: string;
  text: string;
  failover?: FailoverCondition;
}

/** The default expiry, as in the tutorial the escalation config comes from. */
const DEFAULT_EXPIRY_SECONDS = 600;

function address(index: number, item: DispatchItem, role: 'to' | 'from', type: string): Record<string, string> {
  const normalized = role === 'to' ? normalizeAddress(item.channel, item.to) : normalizeSender(item.channel, item.from);
  if (!normalized.ok) {
    throw new SwitchboardError('validation_failed', `workflow.${index}.${role}: ${normalized.message}`, {
      field: `workflow.${index}.${role}`,
    });
  }
  // Viber, for one, sends from a service id to a phone number.
  const field = role === 'to' ? recipientKind(item.channel) : senderKind(item.channel);
  return { type, [field]: normalized.value };
}

function failoverOf(index: number, item: DispatchItem, fallback: FailoverCondition | undefined): FailoverCondition {
  const condition = item.failover ??
    fallback ?? {
      // SMS never reports read: waiting for it would always run out the expiry.
      condition_status: reportsRead(item.channel) ? 'read' : 'delivered',
      expiry_time: DEFAULT_EXPIRY_SECONDS,
    };
  const parsed = FailoverCondition.safeParse(condition);
  if (parsed.success) return parsed.data;
  throw validationError(parsed.error, `workflow.${index}.failover`);
}

/**
 * The Dispatch v0.1 `failover` request: one message per item, in order, every item but the last
 * with a failover condition (the item's, else `opts.failover`, else read — delivered for SMS —
 * within 600 s). Addresses go in `number` or `id` as each channel wants them.
 */
export function dispatchBody(items: readonly DispatchItem[], opts: { failover?: FailoverCondition } = {}): Record<string, unknown> {
  if (items.length === 0) throw new SwitchboardError('validation_failed', 'workflow: a failover workflow needs at least one message');
  const workflow = items.map((item, index) => {
    const { dispatchName: type, messageOptions } = CHANNELS[item.channel];
    if (!type) {
      throw new SwitchboardError(
        'validation_failed',
        `workflow.${index}.channel: the Dispatch API cannot send ${item.channel}; it sends ${inWords(DISPATCH_CHANNEL_TYPES)}`,
      );
    }
    const step: Record<string, unknown> = {
      from: address(index, item, 'from', type),
      to: address(index, item, 'to', type),
      message: { content: { type: 'text', text: item.text }, ...(messageOptions && { [type]: messageOptions }) },
    };
    if (index < items.length - 1) step.failover = failoverOf(index, item, opts.failover);
    return step;
  });
  return { template: 'failover', workflow };
}
