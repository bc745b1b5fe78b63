import { describe, expect, it } from 'vitest';
import { signApplicationJwt } from '#libs/vonage';
import { useSimulator } from './fixtures.js';

const harness = useSimulator('app-sim-api');

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(harness.sim.url + path, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

/** A control API call, with the simulator's control token. */
function control(method: string, path: string, body?: unknown) {
  return call(method, path, body, { authorization: `Bearer ${harness.sim.controlToken}` });
}

async function sendMessage(body: Record<string, unknown>) {
  const token = await signApplicationJwt(harness.credentials);
  return call('POST', '/v1/messages', body, { authorization: `Bearer ${token}` });
}

describe('simulator Messages API answers like Vonage', () => {
  it('401 with an RFC 7807 body when the bearer token is missing', async () => {
    const res = await call('POST', '/v1/messages', { channel: 'sms' });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      type: expect.any(String),
      title: 'Unauthorized',
      detail: expect.stringMatching(/Missing bearer token/),
      instance: expect.any(String),
    });
  });

  it('422 with invalid_parameters naming each bad field', async () => {
    const res = await sendMessage({
      channel: 'sms',
      message_type: 'text',
      text: 'hi',
      to: '+447700900123',
      from: 'COMPANY SMS NAME/NUMBER',
    });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ title: 'Invalid params', instance: expect.any(String) });
    expect(res.body?.invalid_parameters).toEqual([
      { name: 'to', reason: expect.stringMatching(/E\.164 digits without a leading \+.*447700900123/) },
      { name: 'from', reason: expect.stringMatching(/not an SMS sender/) },
    ]);
    const wrongType = await sendMessage({ channel: 'fax', message_type: 'image', text: 'hi', to: '447700900123', from: 'Acme' });
    expect((wrongType.body?.invalid_parameters as Array<{ name: string }>).map((p) => p.name)).toEqual(['channel', 'message_type']);
  });

  it('400 for a body that is not JSON', async () => {
    const token = await signApplicationJwt(harness.credentials);
    const res = await call('POST', '/v1/messages', '{"channel":', { authorization: `Bearer ${token}` });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ detail: expect.stringMatching(/did not contain valid JSON/), instance: expect.any(String) });
  });

  it('429 with Retry-After for fail_first 429', async () => {
    await control('PUT', '/_sim/scenarios/447700900301', { outcome: 'delivered', fail_first: { count: 1, status: 429, retry_after_s: 7 } });
    const throttled = await sendMessage({ channel: 'sms', message_type: 'text', text: 'hi', to: '447700900301', from: 'Acme' });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect(throttled.body).toMatchObject({ title: 'Rate Limit Hit' });
    const accepted = await sendMessage({ channel: 'sms', message_type: 'text', text: 'hi', to: '447700900301', from: 'Acme' });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ message_uuid: expect.any(String) });
  });
});

describe('simulator control API', () => {
  it('PUT /_sim/scenarios refuses a bad scenario with 400 naming the field', async () => {
    const res = await control('PUT', '/_sim/scenarios/447700900302', { outcome: 'maybe' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'validation_failed', message: expect.stringMatching(/^outcome: /) } });
    const typo = await control('PUT', '/_sim/scenarios/447700900302', { outcome: 'read', delivered_after: 5 });
    expect(typo.status).toBe(400);
    const notJson = await control('PUT', '/_sim/scenarios/447700900302', '{');
    expect(notJson).toMatchObject({ status: 400, body: { error: { code: 'invalid_json' } } });
  });

  it('GET /_sim/messages lists what was sent, filtered by ?to=, with statuses and timestamps', async () => {
    await control('PUT', '/_sim/scenarios/447700900303', { outcome: 'delivered', delivered_after_ms: 0 });
    await sendMessage({ channel: 'sms', message_type: 'text', text: 'one', to: '447700900303', from: 'Acme', client_ref: 'c1' });
    await sendMessage({ channel: 'sms', message_type: 'text', text: 'two', to: '447700900304', from: 'Acme' });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const res = await control('GET', '/_sim/messages?to=447700900303');
    expect(res.body?.messages).toEqual([
      expect.objectContaining({
        channel: 'sms',
        to: '447700900303',
        from: 'Acme',
        text: 'one',
        client_ref: 'c1',
        message_uuid: expect.any(String),
        statuses: [
          { status: 'submitted', timestamp: expect.any(String) },
          { status: 'delivered', timestamp: expect.any(String) },
        ],
      }),
    ]);
    expect((await control('GET', '/_sim/messages')).body?.messages).toHaveLength(2);
  });

  it('POST /_sim/inbound posts an inbound webhook; reset forgets messages; health answers without the token', async () => {
    harness.sim.setWebhooks({ inbound: `${harness.receiver.url}/elsewhere` });
    const res = await control('POST', '/_sim/inbound', { channel: 'viber', from: '447700900305', to: 'acme', text: 'ack' });
    expect(res.status).toBe(202);
    const [hook] = await harness.receiver.waitFor((all) => all.length === 1);
    expect(hook?.path).toBe('/elsewhere');
    expect(hook?.body).toMatchObject({
      channel: 'viber_service',
      from: '447700900305',
      to: 'acme',
      text: 'ack',
      message_uuid: res.body?.message_uuid,
    });
    expect((await control('POST', '/_sim/inbound', { channel: 'pager', from: 'x', to: 'y', text: 'z' })).status).toBe(400);

    await sendMessage({ channel: 'sms', message_type: 'text', text: 'hi', to: '447700900306', from: 'Acme' });
    expect((await call('GET', '/_sim/health')).body).toMatchObject({ status: 'ok', messages: 1 });
    expect((await control('POST', '/_sim/reset')).status).toBe(204);
    expect((await control('GET', '/_sim/messages')).body?.messages).toEqual([]);
  });

  it('DELETE /_sim/scenarios brings back the default scenario', async () => {
    await control('PUT', '/_sim/scenarios/447700900307', { outcome: 'delivered', fail_first: { count: 5, status: 500 } });
    expect((await sendMessage({ channel: 'sms', message_type: 'text', text: 'hi', to: '447700900307', from: 'Acme' })).status).toBe(500);
    expect((await control('DELETE', '/_sim/scenarios')).status).toBe(204);
    expect((await sendMessage({ channel: 'sms', message_type: 'text', text: 'hi', to: '447700900307', from: 'Acme' })).status).toBe(202);
  });

  it('PUT /_sim/scenarios/:channel/:recipient sets the scenario of an address on one channel (any of its names), counted apart', async () => {
    const res = await control('PUT', '/_sim/scenarios/viber/447700900308', { outcome: 'delivered', fail_first: { count: 1, status: 500 } });
    expect(res).toMatchObject({
      status: 200,
      body: { channel: 'viber_service', recipient: '447700900308', scenario: { outcome: 'delivered' } },
    });
    const viber = { channel: 'viber_service', message_type: 'text', text: 'hi', to: '447700900308', from: 'acme' };
    expect((await sendMessage({ ...viber, channel: 'sms', from: 'Acme' })).status).toBe(202);
    expect((await sendMessage(viber)).status).toBe(500);
    expect((await sendMessage(viber)).status).toBe(202);
  });

  it('PUT /_sim/scenarios/:channel/:recipient refuses a channel it does not know with 400 naming it', async () => {
    const res = await control('PUT', '/_sim/scenarios/pager/447700900309', { outcome: 'silent' });
    expect(res).toMatchObject({
      status: 400,
      body: { error: { code: 'validation_failed', message: expect.stringMatching(/^params\.channel: unknown channel type "pager"/) } },
    });
  });
});
