import { z } from 'zod';
import {
  DISPATCH_CHANNELS,
  FailoverCondition,
  maxTextLength,
  normalizeAddress,
  normalizeSender,
  recipientKind,
  senderKind,
  type ChannelType,
  type DispatchName,
} from '#libs/vonage';
import { addressProblem } from './addressCheck.js';

const DispatchAddress = z.object({
  type: z.enum(Object.keys(DISPATCH_CHANNELS) as DispatchName[]),
  number: z.string().min(1).max(50).optional(),
  id: z.string().min(1).max(50).optional(),
});
export type DispatchAddress = z.infer<typeof DispatchAddress>;

const WireStep = z.object({
  to: DispatchAddress,
  from: DispatchAddress,
  message: z.object({
    content: z.object({
      type: z.literal('text', { error: 'the simulator sends text messages only: use "text"' }),
      text: z.string().min(1).max(4096),
    }),
    viber_service_msg: z
      .object({ category: z.enum(['transaction', 'promotion']).optional(), ttl: z.number().int().min(30).max(86_400).optional() })
      .optional(),
  }),
  failover: FailoverCondition.optional(),
});

/** A checked workflow step: the wire addresses (echoed in webhooks) and what they resolve to. */
export interface WorkflowStep {
  channel: ChannelType;
  to: string;
  from: string;
  text: string;
  failover?: FailoverCondition;
  wire: { to: DispatchAddress; from: DispatchAddress };
}

type Normalize = (value: string) => { ok: true; value: string } | { ok: false; message: string };

/** `POST /v0.1/dispatch` with the failover template, checked as the spec says, as workflow steps. */
export const DispatchRequest = z
  .object({
    template: z.literal('failover'),
    workflow: z.array(WireStep).min(1),
  })
  .transform((request, ctx): WorkflowStep[] => {
    const last = request.workflow.length - 1;
    let valid = true;
    const problem = (path: Array<string | number>, message: string): void => {
      valid = false;
      ctx.addIssue({ code: 'custom', path, message, input: request });
    };
    const address = (path: Array<string | number>, wire: DispatchAddress, field: 'number' | 'id', normalize: Normalize): string => {
      const value = wire[field];
      const wrong = value === undefined ? `is required for ${wire.type}` : addressProblem(normalize(value), value);
      if (wrong) problem([...path, field], wrong);
      return value ?? '';
    };

    const steps = request.workflow.map((step, index): WorkflowStep => {
      const at = ['workflow', index];
      const channel = DISPATCH_CHANNELS[step.to.type];
      if (step.from.type !== step.to.type) problem([...at, 'from', 'type'], `must be the channel of to.type (${step.to.type})`);
      const limit = maxTextLength(channel);
      if (step.message.content.text.length > limit) {
        problem([...at, 'message', 'content', 'text'], `must be at most ${limit} characters on ${step.to.type}`);
      }
      if (index < last && !step.failover) problem([...at, 'failover'], 'is required on every message but the last');
      if (index === last && step.failover) problem([...at, 'failover'], 'the last message must not have a failover');
      return {
        channel,
        to: address([...at, 'to'], step.to, recipientKind(channel), (value) => normalizeAddress(channel, value)),
        from: address([...at, 'from'], step.from, senderKind(channel), (value) => normalizeSender(channel, value)),
        text: step.message.content.text,
        ...(step.failover && { failover: step.failover }),
        wire: { to: step.to, from: step.from },
      };
    });
    return valid ? steps : z.NEVER;
  });
