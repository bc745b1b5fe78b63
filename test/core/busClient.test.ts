import { AckPolicy } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, lastBySubject, provisionBus, STREAMS, type Bus } from '../../libs/bus/index.js';
import { startTestNats, type TestNats } from '../support/nats.js';

// libs/bus changes two things inside nats.js (see coalescedWrites.ts and settledRequests.ts):
// what a caller sees of a request must not change with them.
let nats: TestNats;
let bus: Bus;

beforeAll(async () => {
  nats = await startTestNats();
  bus = await connectBus(nats.url);
  await provisionBus(bus, { dedupeWindowS: 60, eventsMaxAgeS: 3600 });
});

afterAll(async () => {
  await bus?.close();
  await nats?.stop();
});

describe('the bus client', () => {
  it('answers requests, and fails them with their own reasons: no responders, a timeout', async () => {
    const echo = bus.nc.subscribe('echo');
    void (async () => {
      for await (const msg of echo) msg.respond(msg.data);
    })();
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => bus.nc.request('echo', String(i))));
    expect(answers.map((answer) => answer.string())).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));

    await expect(bus.nc.request('nobody.listens', 'x', { timeout: 1000 })).rejects.toMatchObject({ code: '503' });
    bus.nc.subscribe('silent');
    await expect(bus.nc.request('silent', 'x', { timeout: 100 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    echo.unsubscribe();
  });

  it('reads the last message of a subject directly, and nothing for a subject never written', async () => {
    await bus.js.publish('provider.status.acct.m1.read', 'first');
    await bus.js.publish('provider.status.acct.m1.read', 'second');
    expect(new TextDecoder().decode(await lastBySubject(bus, STREAMS.provider, 'provider.status.acct.m1.read'))).toBe('second');
    expect(await lastBySubject(bus, STREAMS.provider, 'provider.status.acct.m2.read')).toBeUndefined();
  });

  it('deletes on provisioning the durable consumers no version reads any more, and provisions again as a no-op', async () => {
    await bus.jsm.consumers.add(STREAMS.events, { durable_name: 'subscriptions', ack_policy: AckPolicy.Explicit, filter_subject: 'events.>' });
    await provisionBus(bus, { dedupeWindowS: 60, eventsMaxAgeS: 3600 });
    await expect(bus.jsm.consumers.info(STREAMS.events, 'subscriptions')).rejects.toThrow(/not found/);
    await provisionBus(bus, { dedupeWindowS: 60, eventsMaxAgeS: 3600 });
  });
});
