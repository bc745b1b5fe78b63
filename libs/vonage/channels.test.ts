import { describe, expect, it } from 'vitest';
import {
  CHANNEL_TYPES,
  CHANNEL_TYPES_HELP,
  DISPATCH_CHANNELS,
  ChannelTypeSchema,
  inWords,
  normalizeChannelType,
  senderSetting,
} from './index.js';

describe('the channel table', () => {
  it('knows each channel by its type, its aliases and its Dispatch name, in any case', () => {
    expect(CHANNEL_TYPES).toEqual(['sms', 'mms', 'whatsapp', 'messenger', 'viber_service', 'rcs']);
    expect(normalizeChannelType(' Viber ')).toBe('viber_service');
    expect(normalizeChannelType('viber_service_msg')).toBe('viber_service');
    expect(normalizeChannelType('SMS')).toBe('sms');
    expect(normalizeChannelType('telegram')).toBeUndefined();
  });

  it('names every type and the other names they go by when one is unknown', () => {
    expect(CHANNEL_TYPES_HELP).toBe('sms, mms, whatsapp, messenger, viber_service, rcs (viber and viber_service_msg mean viber_service)');
    const parsed = ChannelTypeSchema.safeParse('telegram');
    expect(parsed.error?.issues[0]?.message).toBe(`unknown channel type "telegram": use one of ${CHANNEL_TYPES_HELP}`);
  });

  it("maps Dispatch's names to the channels they mean, for the channels Dispatch sends on", () => {
    expect(DISPATCH_CHANNELS).toEqual({ sms: 'sms', whatsapp: 'whatsapp', messenger: 'messenger', viber_service_msg: 'viber_service' });
  });

  it("names the setting of each channel's default sender", () => {
    expect(senderSetting('viber_service')).toBe('VONAGE_FROM_VIBER_SERVICE');
  });

  it('lists names as a person would', () => {
    expect([inWords([]), inWords(['sms']), inWords(['sms', 'mms']), inWords(['a', 'b', 'c'])]).toEqual([
      '',
      'sms',
      'sms and mms',
      'a, b and c',
    ]);
  });
});
