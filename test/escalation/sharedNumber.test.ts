import { describe, expect, it } from 'vitest';
import { useSwitchboard } from '../support/switchboard.js';
import { escalationDriver, sampleWith } from './support.js';

// 600 s of the tutorial's default expiry pass in 600 ms.
const SCALE = 0.001;
const sb = useSwitchboard({ env: { SWITCHBOARD_TIME_SCALE: String(SCALE) } });

const { fixture, escalate, finished } = escalationDriver(sb, { accountPrefix: 'shared', addressBase: 950 });

describe('escalate_users to one number on several channels, as in the tutorial', () => {
  it('fails over from the Viber and WhatsApp that Michael does not read to his SMS on the same number, and ends read there', async () => {
    const { account, a } = fixture();
    const phone = a.michaelSms;
    const sim = sb.provider.simulator!;
    sim.setScenario(a.tonyMessenger, { outcome: 'delivered' });
    sim.setScenario(a.tonySms, { outcome: 'silent' });
    // What reaches Michael's phone is read, but he never opens Viber and WhatsApp is not on it.
    sim.setScenario(phone, { outcome: 'read' });
    sim.setScenario({ channel: 'viber', recipient: phone }, { outcome: 'delivered' });
    sim.setScenario({ channel: 'whatsapp', recipient: phone }, { outcome: 'silent' });

    await escalate(account, sampleWith({ ...a, michaelViber: phone, michaelWhatsapp: phone }));
    const esc = await finished(account);
    expect(esc.status).toBe('read');
    expect(esc.outcome).toMatchObject({ status: 'delivered', user: 'Michael', channel: 'sms' });
    expect(esc.attempts.map((attempt) => [attempt.user_name, attempt.channel, attempt.result])).toEqual([
      ['Tony', 'messenger', 'expired'],
      ['Tony', 'sms', 'expired'],
      ['Michael', 'viber_service', 'expired'],
      ['Michael', 'whatsapp', 'expired'],
      ['Michael', 'sms', 'delivered'],
    ]);
    expect(sim.messages({ to: phone }).map((message) => [message.channel, message.statuses.at(-1)?.status])).toEqual([
      ['viber_service', 'delivered'],
      ['whatsapp', 'submitted'],
      ['sms', 'delivered'],
    ]);
  });
});
