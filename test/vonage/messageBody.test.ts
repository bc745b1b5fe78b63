import { describe, expect, it } from 'vitest';
import { isSwitchboardError } from '#libs/errors';
import { messageBody } from '#libs/vonage';

describe('messageBody (Messages v1)', () => {
  it('builds a text message with numbers as E.164 digits and the client_ref', () => {
    expect(messageBody({ channel: 'sms', to: '+44 7700 900123', from: 'Acme', text: 'Server down', clientRef: 'esc-1' })).toEqual({
      message_type: 'text',
      text: 'Server down',
      to: '447700900123',
      from: 'Acme',
      channel: 'sms',
      client_ref: 'esc-1',
    });
  });

  it('maps each channel: ids for messenger, a transactional viber_service message, numbers for whatsapp', () => {
    expect(messageBody({ channel: 'messenger', to: '1234567890123456', from: 'page-77', text: 'hi' })).toEqual({
      message_type: 'text',
      text: 'hi',
      to: '1234567890123456',
      from: 'page-77',
      channel: 'messenger',
    });
    expect(messageBody({ channel: 'viber_service', to: '0044 7700 900123', from: 'acme-viber', text: 'hi' })).toMatchObject({
      to: '447700900123',
      from: 'acme-viber',
      channel: 'viber_service',
      viber_service: { category: 'transaction' },
    });
    expect(messageBody({ channel: 'whatsapp', to: '447700900123', from: '+1 415 555 0100', text: 'hi' })).toMatchObject({
      from: '14155550100',
      channel: 'whatsapp',
    });
  });

  it('refuses placeholders and wrong senders with a message naming the field', () => {
    const attempt = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return err;
      }
      return undefined;
    };
    const placeholder = attempt(() => messageBody({ channel: 'sms', to: 'USER PHONE NUMBER', from: 'Acme', text: 'x' }));
    expect(isSwitchboardError(placeholder, 'validation_failed')).toBe(true);
    expect(String(placeholder)).toMatch(/to: "USER PHONE NUMBER" is not a phone number for sms/);
    const sender = attempt(() => messageBody({ channel: 'sms', to: '447700900123', from: 'COMPANY SMS NAME/NUMBER', text: 'x' }));
    expect(String(sender)).toMatch(/from: .* is not an SMS sender/);
    const whatsappName = attempt(() => messageBody({ channel: 'whatsapp', to: '447700900123', from: 'Acme', text: 'x' }));
    expect(isSwitchboardError(whatsappName, 'validation_failed')).toBe(true);
  });
});
