import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { retryRequest } from '#libs/dispatcher';
import { SwitchboardError } from '#libs/errors';
import { useHandlerTestbed } from '../../test/support/handlerContext.js';
import { escalateUsersHandler } from './handler.js';
import { DEFAULT_TEXT } from './schema.js';

const TUTORIAL_SAMPLE = path.resolve(import.meta.dirname, '../../test/fixtures/tutorial-sample.json');

describe('escalate_users handler', () => {
  const testbed = useHandlerTestbed();
  const handler = escalateUsersHandler({ maxRepeat: 3 });
  const inlineUsers = [
    {
      name: 'Tony',
      channels: [
        { type: 'messenger', id_num: 'tony.messenger' },
        { type: 'sms', id_num: '447700900101' },
      ],
    },
    {
      name: 'Michael',
      channels: [
        { type: 'viber', id_num: '447700900201' },
        { type: 'whatsapp', id_num: '447700900201', expiry_time: 30 },
        { type: 'sms', id_num: '447700900201' },
      ],
    },
  ];

  it("starts an escalation planned from its users, with the server's senders, each channel's condition and the expiries", async () => {
    const event = testbed.event({ message: 'Server is about to melt!' });

    const { output } = await handler.handle(
      testbed.step(handler, { users: inlineUsers, failover: { expiry_time: 60 }, final_expiry: 120, repeat: 1 }, { event }),
    );

    const [start, ...others] = testbed.escalations.starts;
    expect(others).toEqual([]);
    expect(output).toEqual({ escalation_id: start?.id, status: 'active', created: true });
    expect(start).toMatchObject({ account_key: testbed.account, route_id: 'route-1', step: 0, trigger: event });
    expect(start?.plan).toEqual({
      mode: 'messages',
      rounds: 2,
      text: DEFAULT_TEXT,
      users: [
        {
          name: 'Tony',
          final_expiry_s: 120,
          channels: [
            { type: 'messenger', to: 'tony.messenger', from: 'switchboard', condition: 'read', expiry_s: 60 },
            { type: 'sms', to: '447700900101', from: 'Switchboard', condition: 'delivered', expiry_s: 60 },
          ],
        },
        {
          name: 'Michael',
          final_expiry_s: 120,
          channels: [
            { type: 'viber_service', to: '447700900201', from: 'switchboard', condition: 'read', expiry_s: 60 },
            { type: 'whatsapp', to: '447700900201', from: '447700900000', condition: 'read', expiry_s: 30 },
            { type: 'sms', to: '447700900201', from: 'Switchboard', condition: 'delivered', expiry_s: 60 },
          ],
        },
      ],
    });
    // The engine sends; the step only starts it.
    expect(testbed.sim.messages()).toEqual([]);
  });

  it("plans a user given as a contact from the contact's channels, and takes the tutorial's file with its FROM", async () => {
    await testbed.services.stores.contacts.upsert(testbed.account, {
      id: 'ann',
      name: 'Ann',
      channels: [
        { type: 'whatsapp', id_num: '447700900301' },
        { type: 'sms', id_num: '447700900301' },
      ],
    });

    await handler.handle(
      testbed.step(handler, {
        APP: { APP_ID: 'another-application', PRIVATE_KEY: 'private.key' },
        FROM: { WHATSAPP: '447700900999', SMS: 'OpsDesk' },
        USERS: [{ contact: 'ann', name: 'Ann (on call)' }],
      }),
    );

    expect(testbed.escalations.starts[0]?.plan.users).toEqual([
      {
        name: 'Ann (on call)',
        contact_id: 'ann',
        final_expiry_s: 600,
        channels: [
          { type: 'whatsapp', to: '447700900301', from: '447700900999', condition: 'read', expiry_s: 600 },
          { type: 'sms', to: '447700900301', from: 'OpsDesk', condition: 'delivered', expiry_s: 600 },
        ],
      },
    ]);
  });

  it('starts one escalation per step, however often the step runs', async () => {
    const event = testbed.event();
    const config = { users: inlineUsers };

    const first = await handler.handle(testbed.step(handler, config, { event }));
    const retried = await handler.handle(testbed.step(handler, config, { event, attempt: 2 }));
    const laterStep = await handler.handle(testbed.step(handler, config, { event, before: [{ handler: 'log', output: {} }] }));
    const otherEvent = await handler.handle(testbed.step(handler, config));

    expect(retried.output).toEqual({ ...first.output, created: false });
    const ids = [first, laterStep, otherEvent].map((result) => result.output?.escalation_id);
    expect(new Set(ids).size).toBe(3);
    expect(testbed.escalations.byId.size).toBe(3);
  });

  it('records the escalation failed, naming the field, when its plan cannot be made: no contact, or an address a template filled badly', async () => {
    const ghost = await handler.handle(testbed.step(handler, { users: ['ghost'] }));
    const badAddress = await handler.handle(
      testbed.step(
        handler,
        {
          users: [
            {
              name: 'Tony',
              channels: [
                { type: 'messenger', id_num: 'tony.messenger' },
                { type: 'sms', id_num: '{{event.event_data.phone}}' },
              ],
            },
          ],
        },
        { event: testbed.event({ phone: 'USER PHONE NUMBER' }) },
      ),
    );

    expect(ghost.output).toEqual({ escalation_id: expect.any(String), status: 'failed', created: true });
    expect(badAddress.output).toMatchObject({ status: 'failed', created: true });
    const [noContact, noAddress] = testbed.escalations.failures.map((request) => request.failure);
    expect(noContact).toEqual({
      reason: `steps.0.config.users.0: contact "ghost" does not exist in account ${testbed.account}`,
      issues: [{ path: 'steps.0.config.users.0', message: `contact "ghost" does not exist in account ${testbed.account}` }],
    });
    expect(noAddress?.issues.map((issue) => issue.path)).toEqual(['steps.0.config.users.0.channels.1.id_num']);
    expect(testbed.escalations.starts).toEqual([]);
  });

  it("fails the tutorial's sample as it is, naming each placeholder address", async () => {
    const sample = z.record(z.string(), z.unknown()).parse(JSON.parse(await readFile(TUTORIAL_SAMPLE, 'utf8')));

    await handler.handle(testbed.step(handler, sample));

    expect(testbed.escalations.failures[0]?.failure.issues.map((issue) => issue.path)).toEqual(
      expect.arrayContaining([
        'steps.0.config.users.0.channels.0.id_num',
        'steps.0.config.users.0.channels.1.id_num',
        'steps.0.config.users.1.channels.2.id_num',
      ]),
    );
  });

  it('records the escalation failed, once, when its config is invalid once rendered (refused)', async () => {
    const event = testbed.event({ channel: 'pigeon' });
    const config = {
      users: [
        {
          name: 'Tony',
          channels: [
            { type: '{{event.event_data.channel}}', id_num: '447700900101' },
            { type: 'sms', id_num: '447700900101' },
          ],
        },
      ],
    };

    const { context, error } = testbed.refusedStep(handler, config, { event });
    const first = await handler.refused?.(context, error);
    const again = await handler.refused?.(testbed.refusedStep(handler, config, { event, attempt: 2 }).context, error);

    expect(first?.output).toEqual({ escalation_id: expect.any(String), status: 'failed', created: true });
    expect(again?.output).toEqual({ ...first?.output, created: false });
    expect(testbed.escalations.byId.size).toBe(1);
    const failure = testbed.escalations.failures[0]?.failure;
    expect(failure?.reason).toMatch(/^steps\.0\.config\.users\.0\.channels\.0\.type: .*unknown channel type "pigeon"/);
    expect(failure?.issues.map((issue) => issue.path)).toEqual(['steps.0.config.users.0.channels.0.type']);
    expect(testbed.escalations.starts).toEqual([]);
  });

  it('leaves the step to be retried when the escalation cannot be written (NATS down), not failing the escalation', async () => {
    testbed.escalations.outage = new SwitchboardError('unavailable', 'NATS is not answering');

    const error: unknown = await handler.handle(testbed.step(handler, { users: inlineUsers })).catch((err: unknown) => err);

    expect(error).toBe(testbed.escalations.outage);
    expect(retryRequest(error)).toMatchObject({ retry: true });
    expect(testbed.escalations.failures).toEqual([]);
    expect(testbed.escalations.byId.size).toBe(0);
  });
});
