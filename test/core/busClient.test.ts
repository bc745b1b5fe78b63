import { AckPolicy } from 'nats';
import { describe, expect, it } from 'vitest';
import { lastBySubject, provisionBus, STREAMS } from '#libs/bus';
import { useTestBus } from '../support/nats.js';

// libs/bus changes two things inside nats.js (see libs/bus/natsOverrides):
// what a caller sees of a request must not change with them.
const suite = useTestBus();

describe('the bus client', () => {
  it('answers requests, and fails them with their own reasons: no responders, a timeout', async () => {
    const echo = suite.bus.nc.subscribe('echo');
    void (async () => {
      for await (const msg of echo) msg.respond(msg.data);
    })();
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => suite.bus.nc.request('echo', String(i))));
    expect(answers.map((answer) => answer.string())).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));

    await expect(suite.bus.nc.request('nobody.listens', 'x', { timeout: 1000 })).rejects.toMatchObject({ code: '503' });
    suite.bus.nc.subscribe('silent');
    await expect(suite.bus.nc.request('silent', 'x', { timeout: 100 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    echo.unsubscribe();
  });

  it('reads the last message of a subject directly, and nothing for a subject never written', async () => {
    await suite.bus.js.publish('provider.status.acct.m1.read', 'first');
    await suite.bus.js.publish('provider.status.acct.m1.read', 'second');
    expect(new TextDecoder().decode(await lastBySubject(suite.bus, STREAMS.provider, 'provider.status.acct.m1.read'))).toBe('second');
    expect(await lastBySubject(suite.bus, STREAMS.provider, 'provider.status.acct.m2.read')).toBeUndefined();
  });

  it('deletes on provisioning the durable consumers no version reads any more, and provisions again as a no-op', async () => {
    await suite.bus.jsm.consumers.add(STREAMS.events, {
      durable_name: 'subscriptions',
      ack_policy: AckPolicy.Explicit,
      filter_subject: 'events.>',
    });
    await provisionBus(suite.bus, { dedupeWindowS: 60, eventsMaxAgeS: 3600 });
    await expect(suite.bus.jsm.consumers.info(STREAMS.events, 'subscriptions')).rejects.toThrow(/not found/);
    await provisionBus(suite.bus, { dedupeWindowS: 60, eventsMaxAgeS: 3600 });
  });
});
