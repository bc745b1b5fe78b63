import { describe, expect, it } from 'vitest';
import { useHandlerTestbed } from '../../test/support/handlerContext.js';
import { createContactHandler } from './handler.js';

describe('create_contact handler', () => {
  const testbed = useHandlerTestbed();
  const fromEvent = {
    name: '{{event.event_data.name}}',
    channels: [{ type: 'sms', id_num: '{{event.event_data.msisdn}}' }],
    variables: { status: '{{event.event_data.status}}', score: '{{event.event_data.score}}' },
  };

  it('creates the contact from the event, with its address in Vonage form, and outputs it', async () => {
    const { output } = await createContactHandler.handle(
      testbed.step(createContactHandler, fromEvent, {
        event: testbed.event({ name: 'Ann', msisdn: '+44 7700 900123', status: 'down', score: 7 }),
      }),
    );

    const channels = [{ type: 'sms', id_num: '447700900123' }];
    expect(output).toEqual({
      contact_id: expect.stringMatching(/^c-/),
      name: 'Ann',
      channels,
      variables: { status: 'down', score: 7 },
      created: true,
    });
    const stored = await testbed.services.stores.contacts.get(testbed.account, String(output?.contact_id));
    expect(stored).toMatchObject({ name: 'Ann', channels, variables: { status: 'down', score: 7 } });
  });

  it('updates the contact that owns one of the addresses: channels and variables merged, the name replaced', async () => {
    const first = await createContactHandler.handle(
      testbed.step(createContactHandler, fromEvent, {
        event: testbed.event({ name: 'Ann', msisdn: '447700900123', status: 'down', score: 7 }),
      }),
    );
    const second = await createContactHandler.handle(
      testbed.step(createContactHandler, {
        name: 'Ann Lee',
        channels: [
          { type: 'whatsapp', id_num: '447700900999' },
          { type: 'sms', id_num: '447700900123' },
        ],
        variables: { status: 'up' },
      }),
    );

    expect(second.output).toEqual({
      contact_id: first.output?.contact_id,
      name: 'Ann Lee',
      channels: [
        { type: 'sms', id_num: '447700900123' },
        { type: 'whatsapp', id_num: '447700900999' },
      ],
      variables: { status: 'up', score: 7 },
      created: false,
    });
    const { contacts } = testbed.services.stores;
    expect(await contacts.list(testbed.account)).toHaveLength(1);
    expect((await contacts.findByAddress(testbed.account, { type: 'whatsapp', id_num: '447700900999' }))?.id).toBe(
      first.output?.contact_id,
    );
  });

  it('makes one contact of a step that runs twice', async () => {
    const event = testbed.event({ name: 'Bo', msisdn: '447700900124', status: 'up', score: 1 });

    const first = await createContactHandler.handle(testbed.step(createContactHandler, fromEvent, { event }));
    const retried = await createContactHandler.handle(testbed.step(createContactHandler, fromEvent, { event, attempt: 2 }));

    expect(retried.output).toEqual({ ...first.output, created: false });
    expect(await testbed.services.stores.contacts.list(testbed.account)).toHaveLength(1);
  });

  it('keeps an explicit id, and keeps a name the config leaves out', async () => {
    await createContactHandler.handle(
      testbed.step(createContactHandler, { id: 'crm-42', name: 'Cy', channels: [{ type: 'sms', id_num: '447700900125' }] }),
    );
    const { output } = await createContactHandler.handle(
      testbed.step(createContactHandler, { id: 'crm-42', channels: [{ type: 'messenger', id_num: 'cy.messenger' }] }),
    );

    expect(output).toMatchObject({ contact_id: 'crm-42', name: 'Cy', created: false });
    expect(output?.channels).toEqual([
      { type: 'sms', id_num: '447700900125' },
      { type: 'messenger', id_num: 'cy.messenger' },
    ]);
  });
});
