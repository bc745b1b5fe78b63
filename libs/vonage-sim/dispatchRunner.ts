import { randomUUID } from 'node:crypto';
import { timeoutMs } from '#libs/timers';
import type { MessageStatus } from '#libs/vonage';
import type { WorkflowStep } from './dispatchRequest.js';
import { playMessage } from './messagePlayback.js';
import type { SimMessage } from './messageStore.js';
import type { SimContext } from './simContext.js';
import { dispatchStatusBody, finalReportBody } from './webhookPayloads.js';

/** How a step ended: its condition met, a failure status, its expiry passed, or its scenario over without either. */
type StepOutcome = 'met' | 'failed' | 'expired' | 'ended';

const FAILURES: ReadonlySet<MessageStatus> = new Set(['rejected', 'undeliverable']);

function meets(status: MessageStatus, condition: 'read' | 'delivered'): boolean {
  return status === 'read' || (condition === 'delivered' && status === 'delivered');
}

/**
 * Sends one step and waits for its outcome. A step with a failover waits at most its (scaled)
 * expiry; the last step has none, and is done when delivered (or read) or failed.
 */
function sendStep(
  ctx: SimContext,
  dispatchUuid: string,
  message: SimMessage,
  step: WorkflowStep,
  signal: AbortSignal,
): Promise<StepOutcome> {
  const condition = step.failover?.condition_status ?? 'delivered';
  return new Promise((resolve, reject) => {
    const expiry = step.failover && setTimeout(() => settle('expired'), timeoutMs(ctx.scaled(step.failover.expiry_time * 1000)));
    const cleanUp = (): void => {
      clearTimeout(expiry);
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      cleanUp();
      reject(signal.reason as Error);
    };
    const settle = (outcome: StepOutcome): void => {
      cleanUp();
      resolve(outcome);
    };
    signal.addEventListener('abort', onAbort, { once: true });

    const playback = playMessage(ctx, message, ctx.scenarios.get(message), {
      statusBody: (status, timestamp) => dispatchStatusBody(dispatchUuid, message, step, status, timestamp),
      onStatus: (status) => {
        if (meets(status.status, condition)) settle('met');
        else if (FAILURES.has(status.status)) settle('failed');
      },
    });
    // The message plays on after a failover, as a real one would still report.
    ctx.background(playback);
    if (!step.failover)
      playback.then(
        () => settle('ended'),
        () => settle('ended'),
      );
  });
}

/**
 * Runs a failover workflow as Vonage does: each step in turn, failing over at once on rejected or
 * undeliverable and otherwise when the step's condition is not met within its expiry; then a
 * final report, `completed` or `error`. A last step that never reports anything gets no report.
 */
export async function runWorkflow(
  ctx: SimContext,
  dispatchUuid: string,
  applicationId: string,
  steps: readonly WorkflowStep[],
): Promise<void> {
  const signal = ctx.signal;
  const sent: Array<{ message: SimMessage; step: WorkflowStep }> = [];
  for (const [index, step] of steps.entries()) {
    signal.throwIfAborted();
    const message: SimMessage = {
      message_uuid: randomUUID(),
      channel: step.channel,
      to: step.to,
      from: step.from,
      text: step.text,
      application_id: applicationId,
      dispatch_uuid: dispatchUuid,
      accepted_at: new Date().toISOString(),
      statuses: [],
    };
    ctx.store.add(message);
    sent.push({ message, step });
    const outcome = await sendStep(ctx, dispatchUuid, message, step, signal);
    if (outcome === 'ended') return;
    if (outcome === 'met' || index === steps.length - 1) {
      await ctx.postStatus(finalReportBody(dispatchUuid, outcome === 'met' ? 'completed' : 'error', sent), applicationId, signal);
      return;
    }
  }
}
