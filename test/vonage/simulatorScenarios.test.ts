import { describe, expect, it } from 'vitest';
import { InboundMessageWebhook, MessageStatusWebhook, MessagesClient, verifyWebhookSignature } from '#libs/vonage';
import { silentLogger, useSimulator, type ReceivedWebhook } from './fixtures.js';

const harness = useSimulator('app-scenarios');
const client = () => new MessagesClient({ baseUrl: harness.sim.url, credentials: harness.credentials, logger: silentLogger });

const statusesOf = (uuid: string) => (hooks: ReceivedWebhook[]) =>
  hooks.filter((h) => h.path === '/status' && h.body.message_uuid === uuid).map((h) => MessageStatusWebhook.parse(h.body));

describe('simulator scenarios', () => {
  it('plays the default scenario on whatsapp: submitted, delivered, read, in order, signed, echoing client_ref', async () => {
    const { messageUuid } = await client().send({
      channel: 'whatsapp',
      to: '447700900201',
      from: '447700900999',
      text: 'hi',
      clientRef: 'ref-7',
    });
    await harness.receiver.waitFor((hooks) => statusesOf(messageUuid)(hooks).length === 3);
    const statuses = statusesOf(messageUuid)(harness.receiver.received);
    expect(statuses.map((s) => s.status)).toEqual(['submitted', 'delivered', 'read']);
    expect(statuses.every((s) => s.client_ref === 'ref-7' && s.channel === 'whatsapp' && s.to === '447700900201')).toBe(true);
    for (const hook of harness.receiver.received) {
      expect(
        await verifyWebhookSignature({ authorization: hook.headers.authorization, rawBody: hook.rawBody, secret: harness.secret }),
      ).toEqual({ ok: true });
    }
    expect(harness.sim.messages()[0]?.statuses.map((s) => s.status)).toEqual(['submitted', 'delivered', 'read']);
  });

  it('stops SMS at delivered, even when the scenario says read', async () => {
    harness.sim.setScenario('447700900202', { outcome: 'read', delivered_after_ms: 100, read_after_ms: 200 });
    const { messageUuid } = await client().send({ channel: 'sms', to: '447700900202', from: 'Acme', text: 'hi' });
    await harness.receiver.waitFor((hooks) => statusesOf(messageUuid)(hooks).length === 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(statusesOf(messageUuid)(harness.receiver.received).map((s) => s.status)).toEqual(['submitted', 'delivered']);
  });

  it('spaces statuses by the scaled delays', async () => {
    harness.sim.setScenario('447700900203', { outcome: 'read', delivered_after_ms: 5_000, read_after_ms: 10_000 });
    const { messageUuid } = await client().send({ channel: 'viber_service', to: '447700900203', from: 'acme', text: 'hi' });
    const hooks = await harness.receiver.waitFor((all) => statusesOf(messageUuid)(all).length === 3);
    // The statuses' own timestamps: when each webhook arrives also depends on the machine's load.
    const [submitted, delivered, read] = hooks
      .filter((h) => h.body.message_uuid === messageUuid)
      .map((h) => Date.parse(String(h.body.timestamp)));
    expect(delivered! - submitted!).toBeGreaterThanOrEqual(45);
    expect(read! - submitted!).toBeGreaterThanOrEqual(95);
  });

  it('reports rejected with an error object, and undeliverable after submitted', async () => {
    harness.sim.setScenario('1111111111', { outcome: 'rejected' });
    harness.sim.setScenario('447700900204', { outcome: 'undeliverable' });
    const rejected = await client().send({ channel: 'messenger', to: '1111111111', from: 'page-1', text: 'hi', clientRef: 'r1' });
    const undeliverable = await client().send({ channel: 'whatsapp', to: '447700900204', from: '447700900999', text: 'hi' });
    await harness.receiver.waitFor(
      (hooks) => statusesOf(rejected.messageUuid)(hooks).length === 1 && statusesOf(undeliverable.messageUuid)(hooks).length === 2,
    );
    const [rejection] = statusesOf(rejected.messageUuid)(harness.receiver.received);
    expect(rejection).toMatchObject({
      status: 'rejected',
      client_ref: 'r1',
      error: { title: 1300, detail: 'Not part of the provider network' },
    });
    expect(statusesOf(undeliverable.messageUuid)(harness.receiver.received)).toMatchObject([
      { status: 'submitted' },
      { status: 'undeliverable', error: { title: 1260, detail: expect.any(String) } },
    ]);
  });

  it('goes silent after submitted when told to, and still sends the reply as an inbound webhook', async () => {
    harness.sim.setScenario('447700900205', { outcome: 'silent', reply: { after_ms: 1_000, text: 'on it' } });
    const { messageUuid } = await client().send({ channel: 'whatsapp', to: '447700900205', from: '447700900999', text: 'hi' });
    const hooks = await harness.receiver.waitFor((all) => all.some((h) => h.path === '/inbound'));
    const inbound = InboundMessageWebhook.parse(hooks.find((h) => h.path === '/inbound')?.body);
    expect(inbound).toMatchObject({
      channel: 'whatsapp',
      from: '447700900205',
      to: '447700900999',
      text: 'on it',
      message_type: 'text',
      context: { message_uuid: messageUuid },
    });
    expect(statusesOf(messageUuid)(harness.receiver.received).map((s) => s.status)).toEqual(['submitted']);
  });

  it('retries a webhook the receiver answers 503, with growing delays', async () => {
    harness.sim.setScenario('447700900206', { outcome: 'delivered' });
    let refusals = 2;
    harness.receiver.respond = () => (refusals-- > 0 ? 503 : 200);
    const { messageUuid } = await client().send({ channel: 'sms', to: '447700900206', from: 'Acme', text: 'hi' });
    await harness.receiver.waitFor((hooks) => statusesOf(messageUuid)(hooks).filter((s) => s.status === 'delivered').length === 1, 3_000);
    const submittedTries = harness.receiver.received.filter((h) => h.body.status === 'submitted');
    expect(submittedTries).toHaveLength(3);
    // 5 s then 10 s, scaled by 0.01.
    expect(submittedTries[1]!.at - submittedTries[0]!.at).toBeGreaterThanOrEqual(45);
    expect(submittedTries[2]!.at - submittedTries[1]!.at).toBeGreaterThanOrEqual(95);
    const order = harness.receiver.received.filter((h) => h.body.message_uuid === messageUuid).map((h) => h.body.status);
    expect(order.lastIndexOf('submitted')).toBeLessThan(order.indexOf('delivered'));
  });

  it('does not retry a webhook the receiver answers 400', async () => {
    harness.sim.setScenario('447700900207', { outcome: 'delivered' });
    harness.receiver.respond = () => 400;
    const { messageUuid } = await client().send({ channel: 'sms', to: '447700900207', from: 'Acme', text: 'hi' });
    await harness.receiver.waitFor((hooks) => statusesOf(messageUuid)(hooks).length === 2);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(statusesOf(messageUuid)(harness.receiver.received).map((s) => s.status)).toEqual(['submitted', 'delivered']);
  });

  it('reset stops the scenarios still playing', async () => {
    harness.sim.setScenario('447700900208', { outcome: 'delivered', delivered_after_ms: 10_000 });
    const { messageUuid } = await client().send({ channel: 'sms', to: '447700900208', from: 'Acme', text: 'hi' });
    await harness.receiver.waitFor((hooks) => statusesOf(messageUuid)(hooks).length === 1);
    harness.sim.reset();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(statusesOf(messageUuid)(harness.receiver.received).map((s) => s.status)).toEqual(['submitted']);
    expect(harness.sim.messages()).toEqual([]);
  });

  it("plays an address's scenario on one channel over its scenario on every channel: one number, silent on WhatsApp, read on Viber", async () => {
    harness.sim.setScenario('447700900209', { outcome: 'read', delivered_after_ms: 0, read_after_ms: 0 });
    harness.sim.setScenario({ channel: 'whatsapp', recipient: '447700900209' }, { outcome: 'silent' });
    const whatsapp = await client().send({ channel: 'whatsapp', to: '447700900209', from: '447700900999', text: 'hi' });
    const viber = await client().send({ channel: 'viber_service', to: '447700900209', from: 'acme', text: 'hi' });
    await harness.receiver.waitFor((hooks) => statusesOf(viber.messageUuid)(hooks).length === 3);
    // WhatsApp's would have come first, from a send made before Viber's.
    expect(statusesOf(whatsapp.messageUuid)(harness.receiver.received).map((s) => s.status)).toEqual(['submitted']);
  });

  it('refuses a scenario for a channel it does not know, naming the field', () => {
    expect(() => harness.sim.setScenario({ channel: 'pager', recipient: '447700900210' }, { outcome: 'silent' })).toThrow(
      /target\.channel: unknown channel type "pager"/,
    );
  });
});
