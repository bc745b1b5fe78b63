import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../apps/vonage-sim/index.js';
import { InboundMessageWebhook, MessageStatusWebhook, MessagesClient, verifyWebhookSignature } from '../../libs/vonage/index.js';
import { rsaKeyPair, silentLogger, startReceiver, type Receiver, type ReceivedWebhook } from './fixtures.js';

const APP_ID = 'app-scenarios';
const SECRET = 'sim-signature-secret';
const keys = rsaKeyPair();
let sim: Simulator;
let receiver: Receiver;
let client: MessagesClient;

const statusesOf = (uuid: string) => (hooks: ReceivedWebhook[]) =>
  hooks.filter((h) => h.path === '/status' && h.body.message_uuid === uuid).map((h) => MessageStatusWebhook.parse(h.body));

beforeAll(async () => {
  receiver = await startReceiver();
  sim = await startSimulator({
    applications: [{ applicationId: APP_ID, publicKey: keys.publicKey }],
    statusWebhookUrl: `${receiver.url}/status`,
    inboundWebhookUrl: `${receiver.url}/inbound`,
    signatureSecret: SECRET,
    timeScale: 0.01,
    logger: silentLogger,
  });
  client = new MessagesClient({ baseUrl: sim.url, credentials: { applicationId: APP_ID, privateKey: keys.privateKey }, logger: silentLogger });
});
afterAll(async () => {
  await sim.close();
  await receiver.close();
});
beforeEach(() => {
  sim.reset();
  receiver.received.length = 0;
  receiver.respond = () => 200;
});

describe('simulator scenarios', () => {
  it('plays the default scenario on whatsapp: submitted, delivered, read, in order, signed, echoing client_ref', async () => {
    const { messageUuid } = await client.send({ channel: 'whatsapp', to: '447700900201', from: '447700900999', text: 'hi', clientRef: 'ref-7' });
    await receiver.waitFor((hooks) => statusesOf(messageUuid)(hooks).length === 3);
    const statuses = statusesOf(messageUuid)(receiver.received);
    expect(statuses.map((s) => s.status)).toEqual(['submitted', 'delivered', 'read']);
    expect(statuses.every((s) => s.client_ref === 'ref-7' && s.channel === 'whatsapp' && s.to === '447700900201')).toBe(true);
    for (const hook of receiver.received) {
      expect(await verifyWebhookSignature({ authorization: hook.headers.authorization, rawBody: hook.rawBody, secret: SECRET })).toEqual({ ok: true });
    }
    expect(sim.messages()[0]?.statuses.map((s) => s.status)).toEqual(['submitted', 'delivered', 'read']);
  });

  it('stops SMS at delivered, even when the scenario says read', async () => {
    sim.setScenario('447700900202', { outcome: 'read', delivered_after_ms: 100, read_after_ms: 200 });
    const { messageUuid } = await client.send({ channel: 'sms', to: '447700900202', from: 'Acme', text: 'hi' });
    await receiver.waitFor((hooks) => statusesOf(messageUuid)(hooks).length === 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(statusesOf(messageUuid)(receiver.received).map((s) => s.status)).toEqual(['submitted', 'delivered']);
  });

  it('spaces statuses by the scaled delays', async () => {
    sim.setScenario('447700900203', { outcome: 'read', delivered_after_ms: 5_000, read_after_ms: 10_000 });
    const { messageUuid } = await client.send({ channel: 'viber_service', to: '447700900203', from: 'acme', text: 'hi' });
    const hooks = await receiver.waitFor((all) => statusesOf(messageUuid)(all).length === 3);
    const [submitted, delivered, read] = hooks.filter((h) => h.body.message_uuid === messageUuid);
    expect(delivered!.at - submitted!.at).toBeGreaterThanOrEqual(40);
    expect(read!.at - submitted!.at).toBeGreaterThanOrEqual(90);
  });

  it('reports rejected with an error object, and undeliverable after submitted', async () => {
    sim.setScenario('1111111111', { outcome: 'rejected' });
    sim.setScenario('447700900204', { outcome: 'undeliverable' });
    const rejected = await client.send({ channel: 'messenger', to: '1111111111', from: 'page-1', text: 'hi', clientRef: 'r1' });
    const undeliverable = await client.send({ channel: 'whatsapp', to: '447700900204', from: '447700900999', text: 'hi' });
    await receiver.waitFor((hooks) => statusesOf(rejected.messageUuid)(hooks).length === 1 && statusesOf(undeliverable.messageUuid)(hooks).length === 2);
    const [rejection] = statusesOf(rejected.messageUuid)(receiver.received);
    expect(rejection).toMatchObject({ status: 'rejected', client_ref: 'r1', error: { title: 1300, detail: 'Not part of the provider network' } });
    expect(statusesOf(undeliverable.messageUuid)(receiver.received)).toMatchObject([
      { status: 'submitted' },
      { status: 'undeliverable', error: { title: 1260, detail: expect.any(String) } },
    ]);
  });

  it('stays silent when told to, and still sends the reply as an inbound webhook', async () => {
    sim.setScenario('447700900205', { outcome: 'silent', reply: { after_ms: 1_000, text: 'on it' } });
    const { messageUuid } = await client.send({ channel: 'whatsapp', to: '447700900205', from: '447700900999', text: 'hi' });
    const hooks = await receiver.waitFor((all) => all.some((h) => h.path === '/inbound'));
    const inbound = InboundMessageWebhook.parse(hooks.find((h) => h.path === '/inbound')?.body);
    expect(inbound).toMatchObject({ channel: 'whatsapp', from: '447700900205', to: '447700900999', text: 'on it', message_type: 'text', context: { message_uuid: messageUuid } });
    expect(statusesOf(messageUuid)(receiver.received)).toEqual([]);
  });

  it('retries a webhook the receiver answers 503, with growing delays', async () => {
    sim.setScenario('447700900206', { outcome: 'delivered' });
    let refusals = 2;
    receiver.respond = () => (refusals-- > 0 ? 503 : 200);
    const { messageUuid } = await client.send({ channel: 'sms', to: '447700900206', from: 'Acme', text: 'hi' });
    await receiver.waitFor((hooks) => statusesOf(messageUuid)(hooks).filter((s) => s.status === 'delivered').length === 1, 3_000);
    const submittedTries = receiver.received.filter((h) => h.body.status === 'submitted');
    expect(submittedTries).toHaveLength(3);
    // 5 s then 10 s, scaled by 0.01.
    expect(submittedTries[1]!.at - submittedTries[0]!.at).toBeGreaterThanOrEqual(45);
    expect(submittedTries[2]!.at - submittedTries[1]!.at).toBeGreaterThanOrEqual(95);
    const order = receiver.received.filter((h) => h.body.message_uuid === messageUuid).map((h) => h.body.status);
    expect(order.lastIndexOf('submitted')).toBeLessThan(order.indexOf('delivered'));
  });

  it('does not retry a webhook the receiver answers 400', async () => {
    sim.setScenario('447700900207', { outcome: 'delivered' });
    receiver.respond = () => 400;
    const { messageUuid } = await client.send({ channel: 'sms', to: '447700900207', from: 'Acme', text: 'hi' });
    await receiver.waitFor((hooks) => statusesOf(messageUuid)(hooks).length === 2);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(statusesOf(messageUuid)(receiver.received).map((s) => s.status)).toEqual(['submitted', 'delivered']);
  });
});
