import { setTimeout as sleep } from 'node:timers/promises';
import type { SimMessage } from './messageStore.js';
import { statusPlan, type Scenario, type StatusStep } from './scenario.js';
import type { SimContext } from './simContext.js';
import { inboundBody } from './webhookPayloads.js';

export interface PlaybackOptions {
  /** The status webhook body for a step, in the API's own format. */
  statusBody(step: StatusStep, timestamp: string): unknown;
  /** Called after each status was recorded and its webhook delivered (or given up). */
  onStatus?(step: StatusStep): void;
}

async function waitUntil(at: number, signal: AbortSignal): Promise<void> {
  const delay = at - Date.now();
  if (delay > 0) await sleep(delay, undefined, { signal });
}

/**
 * Plays a recipient's scenario for an accepted message: each status at its (scaled) time, in
 * order, each webhook delivered before the next is posted (so a slow receiver holds back the
 * later ones); and the recipient's reply, if any.
 */
export async function playMessage(ctx: SimContext, message: SimMessage, scenario: Scenario, opts: PlaybackOptions): Promise<void> {
  const signal = ctx.signal;
  const start = Date.now();
  const reply = scenario.reply;
  if (reply) {
    const answer = async (): Promise<void> => {
      await waitUntil(start + ctx.scaled(reply.after_ms), signal);
      const body = inboundBody({
        channel: message.channel,
        from: message.to,
        to: message.from,
        text: reply.text,
        inReplyTo: message.message_uuid,
      });
      await ctx.postInbound(body, message.application_id, signal);
    };
    ctx.background(answer());
  }
  for (const step of statusPlan(scenario, message.channel)) {
    const happenedAt = start + ctx.scaled(step.afterMs);
    await waitUntil(happenedAt, signal);
    // Stamped when it happened: a receiver slow to take the webhook before it delays the webhook, not the read.
    const timestamp = new Date(happenedAt).toISOString();
    message.statuses.push({ status: step.status, timestamp });
    await ctx.postStatus(opts.statusBody(step, timestamp), message.application_id, signal);
    opts.onStatus?.(step);
  }
}
