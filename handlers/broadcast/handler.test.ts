import { describe, expect, it } from 'vitest';
import { NonRetriableError, retryRequest } from '#libs/dispatcher';
import { isSwitchboardError } from '#libs/errors';
import type { ContactInput } from '#libs/store';
import { useHandlerTestbed } from '../../test/support/handlerContext.js';
import { broadcastHandler, broadcastId } from './handler.js';

describe('broadcast handler', () => {
  const testbed = useHandlerTestbed();
  const addContacts = (...inputs: ContactInput[]) =>
    Promise.all(inputs.map((input) => testbed.services.stores.contacts.upsert(testbed.account, input)));
  const sent = () => testbed.sim.messages().map(({ channel, to, text }) => ({ channel, to, text }));
  const progress = (id: unknown) => testbed.services.stores.broadcasts.get(testbed.account, String(id));

  it("sends the text, rendered per contact, once to each contact of a launch hook's audience, on its first channel", async () => {
    await addContacts(
      { id: 'ann', name: 'Ann', channels: [{ type: 'sms', id_num: '447700900101' }], variables: { team: 'ops' } },
      {
        id: 'bo',
        name: 'Bo',
        channels: [
          { type: 'whatsapp', id_num: '447700900102' },
          { type: 'sms', id_num: '447700900103' },
        ],
        variables: { team: 'sales' },
      },
    );
    const event = testbed.event({ message: 'db-1 is down', audience: { contact_ids: ['ann', 'bo', 'ann'] } });

    const context = testbed.step(
      broadcastHandler,
      { text: '{{contact.name}} ({{contact.variables.team}}, {{contact.channel}}): {{event.event_data.message}}' },
      { event },
    );
    const { output } = await broadcastHandler.handle(context);

    expect(output).toEqual({ broadcast_id: broadcastId(context.stepKey), total: 2, sent: 2, failed: 0 });
    expect(sent()).toEqual(
      expect.arrayContaining([
        { channel: 'sms', to: '447700900101', text: 'Ann (ops, sms): db-1 is down' },
        { channel: 'whatsapp', to: '447700900102', text: 'Bo (sales, whatsapp): db-1 is down' },
      ]),
    );
    expect(sent()).toHaveLength(2);
    expect(await progress(output?.broadcast_id)).toMatchObject({
      status: 'done',
      total: 2,
      sent: 2,
      failed: 0,
      failures: [],
      event_id: event.event_id,
      step: 0,
    });
  });

  it("renders the route's text once per contact: placeholders in the event's data are sent as written", async () => {
    await addContacts({ id: 'ann', name: 'Ann', channels: [{ type: 'sms', id_num: '447700900101' }] });
    const event = testbed.event({ note: 'reply {{contact.name}} to stop' });

    await broadcastHandler.handle(testbed.step(broadcastHandler, { contacts: ['ann'], text: '{{event.event_data.note}}' }, { event }));

    expect(sent()).toEqual([{ channel: 'sms', to: '447700900101', text: 'reply {{contact.name}} to stop' }]);
  });

  it('counts each contact it cannot send to as failed, with why, and sends to the rest', async () => {
    await addContacts(
      { id: 'ann', name: 'Ann', channels: [{ type: 'sms', id_num: '447700900101' }] },
      { id: 'cy', name: 'Cy', channels: [{ type: 'whatsapp', id_num: '447700900102' }] },
      { id: 'dee', name: 'Dee', channels: [{ type: 'sms', id_num: '447700900103' }] },
      { id: 'eve', channels: [{ type: 'sms', id_num: '447700900104' }] },
    );
    testbed.sim.setScenario('447700900103', { outcome: 'read', fail_first: { count: 1, status: 422 } });

    const { output } = await broadcastHandler.handle(
      testbed.step(broadcastHandler, { contacts: ['ann', 'ghost', 'cy', 'dee', 'eve'], channel: 'sms', text: '{{contact.name}}' }),
    );

    expect(output).toMatchObject({ total: 5, sent: 1, failed: 4 });
    expect(sent()).toEqual([{ channel: 'sms', to: '447700900101', text: 'Ann' }]);
    expect((await progress(output?.broadcast_id))?.failures).toEqual(
      expect.arrayContaining([
        { contact_id: 'ghost', reason: 'no such contact' },
        { contact_id: 'cy', reason: 'the contact has no sms channel' },
        { contact_id: 'dee', reason: expect.stringContaining('HTTP 422') },
        { contact_id: 'eve', reason: 'the text rendered empty' },
      ]),
    );
  });

  it('sends nothing again when the finished step runs again', async () => {
    await addContacts(
      { id: 'ann', channels: [{ type: 'sms', id_num: '447700900101' }] },
      { id: 'bo', channels: [{ type: 'sms', id_num: '447700900102' }] },
    );
    const event = testbed.event();
    const config = { contacts: ['ann', 'bo'], text: 'once' };

    const first = await broadcastHandler.handle(testbed.step(broadcastHandler, config, { event }));
    const again = await broadcastHandler.handle(testbed.step(broadcastHandler, config, { event, attempt: 2 }));

    expect(again).toEqual(first);
    expect(sent()).toHaveLength(2);
  });

  it('leaves a provider 5xx to be retried; the retry sends only what was not sent', async () => {
    await addContacts(
      { id: 'ann', channels: [{ type: 'sms', id_num: '447700900101' }] },
      { id: 'bo', channels: [{ type: 'sms', id_num: '447700900102' }] },
      { id: 'cy', channels: [{ type: 'sms', id_num: '447700900103' }] },
    );
    // The client tries twice: both get the 503, then the provider is back.
    testbed.sim.setScenario('447700900103', { outcome: 'read', fail_first: { count: 2, status: 503 } });
    const event = testbed.event();
    const config = { contacts: ['ann', 'bo', 'cy'], text: 'heads up' };

    const error: unknown = await broadcastHandler.handle(testbed.step(broadcastHandler, config, { event })).catch((err: unknown) => err);
    expect(isSwitchboardError(error, 'provider_unavailable')).toBe(true);
    expect(retryRequest(error)).toMatchObject({ retry: true });
    expect(
      sent()
        .map((message) => message.to)
        .sort(),
    ).toEqual(['447700900101', '447700900102']);

    const { output } = await broadcastHandler.handle(testbed.step(broadcastHandler, config, { event, attempt: 2 }));
    expect(output).toMatchObject({ total: 3, sent: 3, failed: 0 });
    expect(
      sent()
        .map((message) => message.to)
        .sort(),
    ).toEqual(['447700900101', '447700900102', '447700900103']);
  });

  it('fails for good, recording nothing, when its contacts template gives no list', async () => {
    // The default, a launch hook's audience, on an event that is no launch.
    const context = testbed.step(broadcastHandler, { text: 'hello' }, { event: testbed.event({ message: 'no audience here' }) });

    const refused = broadcastHandler.handle(context);
    await expect(refused).rejects.toBeInstanceOf(NonRetriableError);
    await expect(refused).rejects.toMatchObject({
      code: 'validation_failed',
      message: expect.stringContaining('did not give a list of contact ids'),
    });
    expect(await progress(broadcastId(context.stepKey))).toBeUndefined();
    expect(sent()).toEqual([]);
  });
});
