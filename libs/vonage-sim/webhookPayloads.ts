import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  CHANNELS,
  type ChannelType,
  type DispatchFinalReport,
  type DispatchMessageStatusWebhook,
  type InboundMessageWebhook,
  type MessageStatusWebhook,
} from '#libs/vonage';
import type { WorkflowStep } from './dispatchRequest.js';
import type { SimMessage } from './messageStore.js';
import type { StatusError, StatusStep } from './scenario.js';

function v1Error(error: StatusError): NonNullable<z.input<typeof MessageStatusWebhook>['error']> {
  return {
    type: `https://developer.vonage.com/api-errors/messages#${error.code}`,
    title: error.code,
    detail: error.reason,
    instance: randomUUID(),
  };
}

/** A Messages v1 status webhook for one step of a message's scenario. */
export function messageStatusBody(message: SimMessage, step: StatusStep, timestamp: string): z.input<typeof MessageStatusWebhook> {
  return {
    message_uuid: message.message_uuid,
    to: message.to,
    from: message.from,
    timestamp,
    status: step.status,
    channel: message.channel,
    ...(message.client_ref !== undefined && { client_ref: message.client_ref }),
    ...(step.error && { error: v1Error(step.error) }),
  };
}

/** A Messages v1 inbound webhook: `from` is the user, `to` the application's number or id. */
export function inboundBody(input: {
  channel: ChannelType;
  from: string;
  to: string;
  text: string;
  inReplyTo?: string;
}): z.input<typeof InboundMessageWebhook> {
  return {
    channel: input.channel,
    message_uuid: randomUUID(),
    to: input.to,
    from: input.from,
    timestamp: new Date().toISOString(),
    message_type: 'text',
    text: input.text,
    ...(input.inReplyTo !== undefined && CHANNELS[input.channel].quotesReplies && { context: { message_uuid: input.inReplyTo } }),
  };
}

/** A Dispatch message status: Messages v0.1 format (addresses as sent, error as code and reason) plus the workflow link. */
export function dispatchStatusBody(
  dispatchUuid: string,
  message: SimMessage,
  step: WorkflowStep,
  status: StatusStep,
  timestamp: string,
): z.input<typeof DispatchMessageStatusWebhook> {
  return {
    message_uuid: message.message_uuid,
    to: step.wire.to,
    from: step.wire.from,
    timestamp,
    status: status.status,
    ...(status.error && { error: { code: status.error.code, reason: status.error.reason } }),
    _links: { workflow: { dispatch_uuid: dispatchUuid, href: `/workflows/${dispatchUuid}` } },
  };
}

/** The final report of a workflow, listing every message it sent with its last status. */
export function finalReportBody(
  dispatchUuid: string,
  status: 'completed' | 'error',
  sent: ReadonlyArray<{ message: SimMessage; step: WorkflowStep }>,
): z.input<typeof DispatchFinalReport> {
  return {
    dispatch_uuid: dispatchUuid,
    template: 'failover',
    status,
    timestamp: new Date().toISOString(),
    _links: {
      messages: sent.map(({ message, step }) => {
        const last = message.statuses.at(-1);
        return {
          message_uuid: message.message_uuid,
          href: `/messages/${message.message_uuid}`,
          channel: step.wire.to.type,
          ...(last && { status: last.status }),
        };
      }),
    },
  };
}
