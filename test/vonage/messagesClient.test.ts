import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SwitchboardError, isSwitchboardError } from '#libs/errors';
import { MessagesClient, type MessagesClientOptions } from '#libs/vonage';
import { capturingLogger, rsaKeyPair, silentLogger, useSimulator } from './fixtures.js';

const harness = useSimulator('app-messages-client');

function client(overrides: Partial<MessagesClientOptions> = {}): MessagesClient {
  return new MessagesClient({
    baseUrl: harness.sim.url,
    credentials: harness.credentials,
    baseDelayMs: 10,
    maxDelayMs: 40,
    logger: silentLogger,
    ...overrides,
  });
}

async function failure(promise: Promise<unknown>): Promise<SwitchboardError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof SwitchboardError)) throw new Error(`expected a SwitchboardError, got ${String(err)}`);
  return err;
}

describe('MessagesClient against the simulator', () => {
  it('sends and gets the message_uuid of the 202; the simulator records what Vonage would have got', async () => {
    const { messageUuid } = await client().send({
      channel: 'whatsapp',
      to: '+44 7700 900123',
      from: '447700900999',
      text: 'Server down',
      clientRef: 'esc-1',
    });
    expect(messageUuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(harness.sim.messages()).toEqual([
      expect.objectContaining({
        message_uuid: messageUuid,
        channel: 'whatsapp',
        to: '447700900123',
        from: '447700900999',
        text: 'Server down',
        client_ref: 'esc-1',
        application_id: harness.applicationId,
      }),
    ]);
  });

  it('turns a 422 into provider_rejected carrying the invalid parameter, without retrying', async () => {
    const { logger, lines } = capturingLogger();
    const err = await failure(client({ logger }).send({ channel: 'messenger', to: '1234567890', from: 'page-1', text: 'x'.repeat(641) }));
    expect(err.code).toBe('provider_rejected');
    expect(err.message).toMatch(/HTTP 422.*text: must be at most 640 characters on messenger/);
    expect(err.details).toMatchObject({
      status: 422,
      title: 'Invalid params',
      invalid_parameters: [{ name: 'text', reason: expect.stringMatching(/640/) }],
    });
    expect(lines.filter((l) => l.level === 40)).toHaveLength(0);
    expect(harness.sim.messages()).toHaveLength(0);
  });

  it("turns a 401 (JWT signed with a key that is not the application's) into provider_auth_failed", async () => {
    const stranger = rsaKeyPair();
    const err = await failure(
      client({ credentials: { applicationId: harness.applicationId, privateKey: stranger.privateKey } }).send({
        channel: 'sms',
        to: '447700900123',
        from: 'Acme',
        text: 'hi',
      }),
    );
    expect(err.code).toBe('provider_auth_failed');
    expect(err.details).toMatchObject({ status: 401 });
    expect(err.message).toMatch(/not signed with the private key of application/);
  });

  it('retries 5xx with backoff and succeeds once Vonage recovers', async () => {
    harness.sim.setScenario('447700900124', { outcome: 'delivered', fail_first: { count: 2, status: 503 } });
    const { logger, lines } = capturingLogger();
    const { messageUuid } = await client({ logger }).send({ channel: 'sms', to: '447700900124', from: 'Acme', text: 'hi' });
    const retries = lines.filter((l) => l.level === 40 && l.status === 503);
    expect(retries.map((l) => l.attempt)).toEqual([1, 2]);
    expect(harness.sim.messages().map((m) => m.message_uuid)).toEqual([messageUuid]);
  });

  it('waits the Retry-After of a 429 before trying again', async () => {
    harness.sim.setScenario('447700900125', { outcome: 'delivered', fail_first: { count: 1, status: 429, retry_after_s: 1 } });
    const started = Date.now();
    await client().send({ channel: 'sms', to: '447700900125', from: 'Acme', text: 'hi' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(harness.sim.messages()).toHaveLength(1);
  });

  it('gives up as provider_unavailable after maxAttempts of 5xx', async () => {
    harness.sim.setScenario('447700900126', { outcome: 'delivered', fail_first: { count: 10, status: 500 } });
    const err = await failure(client({ maxAttempts: 3 }).send({ channel: 'sms', to: '447700900126', from: 'Acme', text: 'hi' }));
    expect(err.code).toBe('provider_unavailable');
    expect(err.details).toEqual({ status: 500, attempts: 3 });
    expect(err.message).toMatch(/after 3 attempt\(s\), last: HTTP 500/);
    expect(harness.sim.messages()).toHaveLength(0);
  });

  it('retries a send that never reached Vonage, and not one it may have taken (no answer)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await failure(
      client({ baseUrl: `http://127.0.0.1:${port}`, maxAttempts: 2 }).send({
        channel: 'sms',
        to: '447700900123',
        from: 'Acme',
        text: 'hi',
      }),
    );
    expect(refused.code).toBe('provider_unavailable');
    expect(refused.details).toMatchObject({ attempts: 2 });
    expect(refused.message).toMatch(/network error/);

    const hanging = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
      const started = Date.now();
      const slow = await failure(
        client({ baseUrl: url, timeoutMs: 100, maxAttempts: 2 }).send({ channel: 'sms', to: '447700900123', from: 'Acme', text: 'hi' }),
      );
      // The request went out: a second one could send the message twice. The caller looks for evidence first.
      expect(slow.code).toBe('provider_outcome_unknown');
      expect(slow.message).toMatch(/no answer within 100 ms/);
      expect(slow.details).toMatchObject({ attempts: 1 });
      expect(Date.now() - started).toBeLessThan(200);
    } finally {
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
    }
  });

  it('refuses a placeholder address before calling Vonage', async () => {
    const err = await failure(client().send({ channel: 'sms', to: 'USER PHONE NUMBER', from: 'Acme', text: 'hi' }));
    expect(isSwitchboardError(err, 'validation_failed')).toBe(true);
    expect(harness.sim.messages()).toHaveLength(0);
  });
});
