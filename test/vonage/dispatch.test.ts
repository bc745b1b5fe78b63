import { describe, expect, it } from 'vitest';
import { SwitchboardError } from '#libs/errors';
import {
  DispatchClient,
  DispatchFinalReport,
  DispatchMessageStatusWebhook,
  signApplicationJwt,
  verifyWebhookSignature,
  type DispatchItem,
} from '#libs/vonage';
import { TIME_SCALE, capturingLogger, silentLogger, useSimulator } from './fixtures.js';

const harness = useSimulator('app-dispatch');

function client(logger = silentLogger): DispatchClient {
  return new DispatchClient({
    baseUrl: harness.sim.url,
    credentials: harness.credentials,
    baseDelayMs: 10,
    maxDelayMs: 40,
    logger,
  });
}

const whatsapp = (to: string): DispatchItem => ({ channel: 'whatsapp', to, from: '447700900999', text: 'Server down' });
const sms = (to: string): DispatchItem => ({ channel: 'sms', to, from: 'Acme', text: 'Server down' });
const FIFTEEN_SECONDS = { condition_status: 'read', expiry_time: 15 } as const;

type WorkflowHook = { kind: 'status'; body: DispatchMessageStatusWebhook } | { kind: 'report'; body: DispatchFinalReport };

/** The webhooks of one workflow, in arrival order, parsed: each is a final report or a message status. */
function workflowHooks(dispatchUuid: string): WorkflowHook[] {
  return harness.receiver.received.flatMap((hook): WorkflowHook[] => {
    const report = DispatchFinalReport.safeParse(hook.body);
    if (report.success) return report.data.dispatch_uuid === dispatchUuid ? [{ kind: 'report', body: report.data }] : [];
    const status = DispatchMessageStatusWebhook.parse(hook.body);
    return status._links.workflow.dispatch_uuid === dispatchUuid ? [{ kind: 'status', body: status }] : [];
  });
}

function messageStatuses(dispatchUuid: string): DispatchMessageStatusWebhook[] {
  return workflowHooks(dispatchUuid).flatMap((hook) => (hook.kind === 'status' ? [hook.body] : []));
}

async function finalReport(dispatchUuid: string): Promise<DispatchFinalReport> {
  const hooks = await harness.receiver.waitFor(() => workflowHooks(dispatchUuid).some((hook) => hook.kind === 'report'));
  const report = workflowHooks(dispatchUuid).find((hook) => hook.kind === 'report');
  if (report?.kind !== 'report') throw new Error(`no final report among ${hooks.length} webhooks`);
  return report.body;
}

/** [channel, status] of each webhook of a workflow, the final report as ['report', status]. */
function timeline(dispatchUuid: string): Array<[string, string]> {
  return workflowHooks(dispatchUuid).map((hook) =>
    hook.kind === 'report' ? ['report', hook.body.status] : [hook.body.to.type, hook.body.status],
  );
}

describe('DispatchClient against the simulator', () => {
  it('starts a workflow and gets the dispatch_uuid of the 202', async () => {
    const { dispatchUuid } = await client().createFailover([whatsapp('447700900401'), sms('447700900401')]);
    expect(dispatchUuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(harness.sim.messages()).toEqual([
      expect.objectContaining({ channel: 'whatsapp', to: '447700900401', dispatch_uuid: dispatchUuid }),
    ]);
  });

  it('turns a 400 into provider_rejected naming the invalid parameter', async () => {
    const tooLong: DispatchItem = { channel: 'messenger', to: '1234567890', from: 'page-1', text: 'x'.repeat(641) };
    const err = await client()
      .createFailover([tooLong, sms('447700900402')])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchboardError);
    expect((err as SwitchboardError).code).toBe('provider_rejected');
    expect((err as SwitchboardError).details).toMatchObject({
      status: 400,
      invalid_parameters: [{ name: 'workflow.0.message.content.text', reason: expect.stringMatching(/640/) }],
    });
  });

  it('simulator answers 400 for a workflow that breaks the failover rules', async () => {
    const token = await signApplicationJwt(harness.credentials);
    const step = (failover?: object) => ({
      from: { type: 'sms', number: 'Acme' },
      to: { type: 'sms', number: '+447700900404' },
      message: { content: { type: 'text', text: 'x' } },
      ...(failover && { failover }),
    });
    const res = await fetch(`${harness.sim.url}/v0.1/dispatch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ template: 'failover', workflow: [step(), step({ condition_status: 'read', expiry_time: 600 })] }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { invalid_parameters: Array<{ name: string; reason: string }> };
    expect(body.invalid_parameters.map((p) => p.name)).toEqual([
      'workflow.0.failover',
      'workflow.0.to.number',
      'workflow.1.failover',
      'workflow.1.to.number',
    ]);
    expect(harness.sim.messages()).toEqual([]);
  });

  it('retries a 503 with the same rules as the Messages client', async () => {
    harness.sim.setScenario('447700900403', { outcome: 'read', fail_first: { count: 2, status: 503 } });
    const { logger, lines } = capturingLogger();
    await client(logger).createFailover([whatsapp('447700900403'), sms('447700900403')]);
    expect(lines.filter((line) => line.level === 40 && line.status === 503).map((line) => line.attempt)).toEqual([1, 2]);
  });
});

describe('simulated Dispatch workflows', () => {
  it('completes on the first step when it is read in time; statuses carry the workflow link; all signed', async () => {
    harness.sim.setScenario('447700900411', { outcome: 'read' });
    const { dispatchUuid } = await client().createFailover([whatsapp('447700900411'), sms('447700900411')], { failover: FIFTEEN_SECONDS });
    const report = await finalReport(dispatchUuid);
    expect(timeline(dispatchUuid)).toEqual([
      ['whatsapp', 'submitted'],
      ['whatsapp', 'delivered'],
      ['whatsapp', 'read'],
      ['report', 'completed'],
    ]);
    const [first] = messageStatuses(dispatchUuid);
    expect(first?._links.workflow).toEqual({ dispatch_uuid: dispatchUuid, href: `/workflows/${dispatchUuid}` });
    expect(first?.to).toEqual({ type: 'whatsapp', number: '447700900411' });
    expect(report._links?.messages).toEqual([
      { message_uuid: first?.message_uuid, href: `/messages/${first?.message_uuid}`, channel: 'whatsapp', status: 'read' },
    ]);
    expect(harness.sim.messages()).toHaveLength(1);
    for (const hook of harness.receiver.received) {
      expect(
        await verifyWebhookSignature({ authorization: hook.headers.authorization, rawBody: hook.rawBody, secret: harness.secret }),
      ).toEqual({ ok: true });
    }
  });

  it('fails over at once on rejected, well before the expiry', async () => {
    harness.sim.setScenario('447700900412', { outcome: 'rejected', delivered_after_ms: 0 });
    harness.sim.setScenario('447700900413', { outcome: 'delivered', delivered_after_ms: 0 });
    const expiry = { condition_status: 'read', expiry_time: 600 } as const; // 6 s scaled: far longer than the test waits
    const { dispatchUuid } = await client().createFailover([whatsapp('447700900412'), sms('447700900413')], { failover: expiry });
    const report = await finalReport(dispatchUuid);
    expect(report.status).toBe('completed');
    expect(timeline(dispatchUuid)).toEqual([
      ['whatsapp', 'rejected'],
      ['sms', 'submitted'],
      ['sms', 'delivered'],
      ['report', 'completed'],
    ]);
    const [rejected] = messageStatuses(dispatchUuid);
    expect(rejected?.error).toEqual({ code: 1300, reason: 'Not part of the provider network' });
  });

  it('fails over when the condition is not met within the scaled expiry', async () => {
    harness.sim.setScenario('447700900414', { outcome: 'delivered', delivered_after_ms: 0 });
    harness.sim.setScenario('447700900415', { outcome: 'delivered', delivered_after_ms: 0 });
    const started = Date.now();
    const { dispatchUuid } = await client().createFailover([whatsapp('447700900414'), sms('447700900415')], {
      failover: { condition_status: 'read', expiry_time: 20 },
    });
    await finalReport(dispatchUuid);
    const smsSent = harness.sim.messages({ to: '447700900415' })[0];
    expect(Date.parse(smsSent?.accepted_at ?? '') - started).toBeGreaterThanOrEqual(20 * 1000 * TIME_SCALE - 5);
    expect(timeline(dispatchUuid)).toEqual([
      ['whatsapp', 'submitted'],
      ['whatsapp', 'delivered'],
      ['sms', 'submitted'],
      ['sms', 'delivered'],
      ['report', 'completed'],
    ]);
  });

  it('completes on delivered when that is the condition', async () => {
    harness.sim.setScenario('447700900416', { outcome: 'delivered', delivered_after_ms: 0 });
    const { dispatchUuid } = await client().createFailover([whatsapp('447700900416'), sms('447700900417')], {
      failover: { condition_status: 'delivered', expiry_time: 600 },
    });
    expect((await finalReport(dispatchUuid)).status).toBe('completed');
    expect(harness.sim.messages().map((m) => m.channel)).toEqual(['whatsapp']);
  });

  it('reports error when every step fails, listing each message', async () => {
    harness.sim.setScenario('447700900418', { outcome: 'undeliverable', delivered_after_ms: 0 });
    harness.sim.setScenario('447700900419', { outcome: 'rejected', delivered_after_ms: 0 });
    const viber: DispatchItem = { channel: 'viber_service', to: '447700900418', from: 'acme-viber', text: 'Server down' };
    const { dispatchUuid } = await client().createFailover([viber, sms('447700900419')], { failover: FIFTEEN_SECONDS });
    const report = await finalReport(dispatchUuid);
    expect(report.status).toBe('error');
    expect(report._links?.messages.map((m) => [m.channel, m.status])).toEqual([
      ['viber_service', 'undeliverable'],
      ['sms', 'rejected'],
    ]);
  });

  it('sends no final report when the last step never reports', async () => {
    harness.sim.setScenario('447700900420', { outcome: 'rejected', delivered_after_ms: 0 });
    harness.sim.setScenario('447700900421', { outcome: 'silent' });
    const { dispatchUuid } = await client().createFailover([whatsapp('447700900420'), sms('447700900421')], { failover: FIFTEEN_SECONDS });
    await harness.receiver.waitFor(() => harness.sim.messages().length === 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The silent step's only word is its `submitted`: no delivery, and no final report.
    expect(timeline(dispatchUuid)).toEqual([
      ['whatsapp', 'rejected'],
      ['sms', 'submitted'],
    ]);
  });

  it("plays each step's scenario by its channel: over one number, a silent WhatsApp fails over to an SMS that is delivered", async () => {
    harness.sim.setScenario('447700900422', { outcome: 'read', delivered_after_ms: 0 });
    harness.sim.setScenario({ channel: 'whatsapp', recipient: '447700900422' }, { outcome: 'silent' });
    const { dispatchUuid } = await client().createFailover([whatsapp('447700900422'), sms('447700900422')], { failover: FIFTEEN_SECONDS });
    expect((await finalReport(dispatchUuid)).status).toBe('completed');
    expect(timeline(dispatchUuid)).toEqual([
      ['whatsapp', 'submitted'],
      ['sms', 'submitted'],
      ['sms', 'delivered'],
      ['report', 'completed'],
    ]);
  });
});
