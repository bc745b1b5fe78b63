import { describe, expect, it } from 'vitest';
import { NonRetriableError, retryRequest } from '#libs/dispatcher';
import { isSwitchboardError } from '#libs/errors';
import type { ContactInput } from '#libs/store';
import { useHandlerTestbed } from '../../test/support/handlerContext.js';
import { sendMessageHandler } from './handler.js';

describe('send_message handler', () => {
  const testbed = useHandlerTestbed();
  const addContact = (input: ContactInput) => testbed.services.stores.contacts.upsert(testbed.account, input);

  it("sends the text to the contact's first channel and records the send under the step's ref", async () => {
    await addContact({
      id: 'ann',
      channels: [
        { type: 'sms', id_num: '447700900123' },
        { type: 'whatsapp', id_num: '447700900124' },
      ],
    });
    const context = testbed.step(
      sendMessageHandler,
      { contact: 'ann', text: 'Hello {{event.event_data.name}}' },
      { event: testbed.event({ name: 'Ann' }) },
    );

    const { output } = await sendMessageHandler.handle(context);

    const [sent, ...others] = testbed.sim.messages();
    expect(others).toEqual([]);
    expect(sent).toMatchObject({ channel: 'sms', to: '447700900123', from: 'Switchboard', text: 'Hello Ann' });
    expect(output).toEqual({ message_uuid: sent!.message_uuid, channel: 'sms', to: '447700900123', contact_id: 'ann', duplicate: false });
    const recorded = await testbed.services.stores.messages.findByRef(testbed.account, `step:${context.stepKey}`);
    expect(recorded).toMatchObject({ message_uuid: sent!.message_uuid, channel: 'sms', to: '447700900123', text: 'Hello Ann' });
  });

  it("sends on the contact's named channel, or to an explicit address with its own sender", async () => {
    await addContact({
      id: 'bo',
      channels: [
        { type: 'sms', id_num: '447700900201' },
        { type: 'whatsapp', id_num: '447700900202' },
      ],
    });

    await sendMessageHandler.handle(testbed.step(sendMessageHandler, { contact: 'bo', channel: 'whatsapp', text: 'on whatsapp' }));
    const direct = await sendMessageHandler.handle(
      testbed.step(sendMessageHandler, { to: { type: 'sms', id_num: '+44 7700 900999' }, from: 'OpsTeam', text: 'direct' }),
    );

    expect(testbed.sim.messages().map(({ channel, to, from, text }) => ({ channel, to, from, text }))).toEqual([
      { channel: 'whatsapp', to: '447700900202', from: '447700900000', text: 'on whatsapp' },
      { channel: 'sms', to: '447700900999', from: 'OpsTeam', text: 'direct' },
    ]);
    expect(direct.output).toMatchObject({ channel: 'sms', to: '447700900999', contact_id: null });
  });

  it('sends once for one step, however often it runs; another step sends again', async () => {
    await addContact({ id: 'cy', channels: [{ type: 'sms', id_num: '447700900301' }] });
    const event = testbed.event();
    const config = { contact: 'cy', text: 'once' };

    const first = await sendMessageHandler.handle(testbed.step(sendMessageHandler, config, { event }));
    const retried = await sendMessageHandler.handle(testbed.step(sendMessageHandler, config, { event, attempt: 2 }));

    expect(testbed.sim.messages()).toHaveLength(1);
    expect(retried.output).toEqual({ ...first.output, duplicate: true });

    const later = await sendMessageHandler.handle(
      testbed.step(sendMessageHandler, config, { event, before: [{ handler: 'log', output: {} }] }),
    );
    expect(testbed.sim.messages()).toHaveLength(2);
    expect(later.output?.message_uuid).not.toBe(first.output?.message_uuid);
  });

  it('fails for good, sending nothing, when the contact does not exist or lacks the named channel', async () => {
    await addContact({ id: 'di', channels: [{ type: 'sms', id_num: '447700900401' }] });

    const missing = sendMessageHandler.handle(testbed.step(sendMessageHandler, { contact: 'nobody', text: 'hi' }));
    await expect(missing).rejects.toBeInstanceOf(NonRetriableError);
    await expect(missing).rejects.toMatchObject({ code: 'validation_failed', message: expect.stringContaining('"nobody" does not exist') });

    const noChannel = sendMessageHandler.handle(testbed.step(sendMessageHandler, { contact: 'di', channel: 'whatsapp', text: 'hi' }));
    await expect(noChannel).rejects.toBeInstanceOf(NonRetriableError);
    await expect(noChannel).rejects.toMatchObject({ code: 'validation_failed', message: expect.stringContaining('no whatsapp channel') });

    expect(testbed.sim.messages()).toEqual([]);
  });

  it('fails for good on a send that is refused: no sender for the channel, or the provider says 4xx', async () => {
    const noSender = sendMessageHandler.handle(
      testbed.step(sendMessageHandler, { to: { type: 'mms', id_num: '447700900501' }, text: 'hi' }),
    );
    await expect(noSender).rejects.toBeInstanceOf(NonRetriableError);
    await expect(noSender).rejects.toMatchObject({
      code: 'validation_failed',
      message: expect.stringContaining('no sender for channel mms'),
    });

    testbed.sim.setScenario('447700900502', { outcome: 'read', fail_first: { count: 1, status: 422 } });
    const rejected = sendMessageHandler.handle(
      testbed.step(sendMessageHandler, { to: { type: 'sms', id_num: '447700900502' }, text: 'hi' }),
    );
    await expect(rejected).rejects.toBeInstanceOf(NonRetriableError);
    await expect(rejected).rejects.toMatchObject({ code: 'provider_rejected' });

    expect(testbed.sim.messages()).toEqual([]);
  });

  it('leaves a provider 5xx to be retried, and the retry sends once', async () => {
    // The client tries twice: both get the 503, then the provider is back.
    testbed.sim.setScenario('447700900601', { outcome: 'read', fail_first: { count: 2, status: 503 } });
    const event = testbed.event();
    const config = { to: { type: 'sms', id_num: '447700900601' }, text: 'are you there?' };

    const error: unknown = await sendMessageHandler
      .handle(testbed.step(sendMessageHandler, config, { event }))
      .catch((err: unknown) => err);
    expect(isSwitchboardError(error, 'provider_unavailable')).toBe(true);
    expect(retryRequest(error)).toEqual({ retry: true, notBeforeMs: 0 });
    expect(testbed.sim.messages()).toEqual([]);

    const { output } = await sendMessageHandler.handle(testbed.step(sendMessageHandler, config, { event, attempt: 2 }));
    await sendMessageHandler.handle(testbed.step(sendMessageHandler, config, { event, attempt: 3 }));
    expect(testbed.sim.messages().map((message) => message.message_uuid)).toEqual([output?.message_uuid]);
  });
});
