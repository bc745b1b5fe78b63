import { describe, expect, it } from 'vitest';
import { CHANNEL_TYPES, senderSetting } from '#libs/vonage';
import { loadSettings, SettingsSchema } from './index.js';

describe('VONAGE_FROM_* settings', () => {
  it('has one per channel of the table', () => {
    for (const type of CHANNEL_TYPES) expect(SettingsSchema.shape).toHaveProperty(senderSetting(type));
  });

  it('reads the senders that are set, by channel, an empty one as unset', () => {
    const settings = loadSettings({ VONAGE_FROM_SMS: 'Company', VONAGE_FROM_VIBER_SERVICE: 'company-viber', VONAGE_FROM_RCS: '' });
    expect(settings.vonage.senders).toEqual({ sms: 'Company', viber_service: 'company-viber' });
  });
});
