import { describe, expect, it } from 'vitest';
import { isSwitchboardError } from '#libs/errors';
import { dispatchBody, type DispatchItem } from '#libs/vonage';

const messenger: DispatchItem = { channel: 'messenger', to: '1234567890', from: 'page-1', text: 'Server down' };
const viber: DispatchItem = { channel: 'viber_service', to: '+44 7700 900123', from: 'acme-viber', text: 'Server down' };
const sms: DispatchItem = { channel: 'sms', to: '447700900123', from: 'Acme', text: 'Server down' };

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('dispatchBody (Dispatch v0.1 failover)', () => {
  it('builds the workflow like the tutorial: ids and numbers per channel, failover on all but the last', () => {
    expect(dispatchBody([messenger, viber, sms], { failover: { condition_status: 'read', expiry_time: 300 } })).toEqual({
      template: 'failover',
      workflow: [
        {
          from: { type: 'messenger', id: 'page-1' },
          to: { type: 'messenger', id: '1234567890' },
          message: { content: { type: 'text', text: 'Server down' } },
          failover: { condition_status: 'read', expiry_time: 300 },
        },
        {
          from: { type: 'viber_service_msg', id: 'acme-viber' },
          to: { type: 'viber_service_msg', number: '447700900123' },
          message: { content: { type: 'text', text: 'Server down' }, viber_service_msg: { category: 'transaction' } },
          failover: { condition_status: 'read', expiry_time: 300 },
        },
        {
          from: { type: 'sms', number: 'Acme' },
          to: { type: 'sms', number: '447700900123' },
          message: { content: { type: 'text', text: 'Server down' } },
        },
      ],
    });
  });

  it("takes each item's own failover first, and defaults to read in 600 s (delivered for SMS)", () => {
    const body = dispatchBody([{ ...sms }, { ...messenger, failover: { condition_status: 'delivered', expiry_time: 15 } }, messenger]);
    const failovers = (body.workflow as Array<{ failover?: unknown }>).map((step) => step.failover);
    expect(failovers).toEqual([
      { condition_status: 'delivered', expiry_time: 600 },
      { condition_status: 'delivered', expiry_time: 15 },
      undefined,
    ]);
    const whatsappFirst = dispatchBody([{ channel: 'whatsapp', to: '447700900123', from: '447700900999', text: 'x' }, sms]);
    expect((whatsappFirst.workflow as Array<{ failover?: unknown }>)[0]?.failover).toEqual({ condition_status: 'read', expiry_time: 600 });
  });

  it('refuses channels Dispatch does not have, bad expiries, placeholders and empty workflows, naming the field', () => {
    const mms = thrown(() => dispatchBody([{ ...sms, channel: 'mms' }, sms]));
    expect(isSwitchboardError(mms, 'validation_failed')).toBe(true);
    expect(String(mms)).toMatch(/workflow\.0\.channel: the Dispatch API cannot send mms/);
    expect(String(thrown(() => dispatchBody([{ ...sms, failover: { condition_status: 'read', expiry_time: 10 } }, sms])))).toMatch(
      /workflow\.0\.failover\.expiry_time/,
    );
    expect(String(thrown(() => dispatchBody([sms, { ...sms, to: 'USER PHONE NUMBER' }])))).toMatch(/workflow\.1\.to: "USER PHONE NUMBER"/);
    expect(String(thrown(() => dispatchBody([])))).toMatch(/at least one message/);
  });
});
