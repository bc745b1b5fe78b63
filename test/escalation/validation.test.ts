import { describe, expect, it } from 'vitest';
import { escalateUsersConfig } from '../../handlers/escalate_users/index.js';
import { useSwitchboard } from '../support/switchboard.js';
import { addresses, sampleWith, tutorialSample } from './support.js';

const sb = useSwitchboard();

const a = addresses('777');
const save = (config: unknown) => sb.api.put('/v1/accounts/acme/routes/melt', { match: { event_type: 'server_down' }, steps: [{ handler: 'escalate_users', config }] });

function mutated(change: (config: any) => void): any {
  const config = sampleWith(a);
  change(config);
  return config;
}

describe('escalate_users config', () => {
  it("accepts the tutorial's sample.json exactly as published, placeholders and all", async () => {
    const res = await save(tutorialSample());
    expect(res.status).toBe(201);
  });

  it('accepts the lower-case form, contact users and expiry_time as a string', () => {
    const parsed = escalateUsersConfig({ maxRepeat: 10 }).parse({
      from: { sms: 'Company', viber: 'company-viber' },
      users: [{ name: 'Ann', channels: [{ type: 'viber', id_num: '447700900001', expiry_time: '60' }, { type: 'sms', id_num: '447700900002' }] }, 'c-some-contact', { contact: 'c-other', name: 'Bo' }],
      repeat: 2,
    });
    expect(parsed.users).toHaveLength(3);
    expect(parsed.mode).toBe('messages');
    expect((parsed.users as any)[0].channels[0].expiry_time).toBe(60);
  });

  it.each([
    ['a user with one channel', (c: any) => c.USERS[0].channels.splice(1), /user "Tony" has 1 channel: give at least two/],
    ['an unknown channel type', (c: any) => (c.USERS[1].channels[0].type = 'pager'), /user "Michael", channel 1: unknown channel type "pager"/],
    ['an expiry below 15 s', (c: any) => (c.USERS[0].channels[0].expiry_time = 5), /user "Tony", channel 1 \(messenger\): expiry_time 5 is out of range: 15 to 86400 seconds/],
    ['an expiry above a day', (c: any) => (c.USERS[1].channels[1].expiry_time = '90000'), /user "Michael", channel 2 \(whatsapp\): expiry_time 90000 is out of range/],
    ['read on sms', (c: any) => (c.USERS[0].channels[1].condition_status = 'read'), /user "Tony", channel 2 \(sms\): sms never reports read: use condition_status "delivered"/],
    ['no FROM for a channel type in use', (c: any) => delete c.FROM.VIBER, /FROM has no sender for viber_service, which user "Michael", channel 1 \(viber_service\) uses/],
    ['no users', (c: any) => (c.USERS = []), /no users: give at least one user/],
    ['a repeat over the maximum', (c: any) => (c.repeat = 11), /at most 10 repeats/],
    ['an unknown mode', (c: any) => (c.mode = 'pigeon'), /config\.mode: Invalid option/],
  ])('rejects %s with a 400 naming the user and channel', async (_name, change, message) => {
    const res = await save(mutated(change));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.issues.map((issue: any) => `${issue.path}: ${issue.message}`).join('\n')).toMatch(message);
    expect(res.body.error.details.issues[0].path).toMatch(/^steps\.0\.config\./);
  });

  it('fails the start clearly for a contact user that does not exist', async () => {
    await save({ from: { sms: 'Company' }, users: ['no-such-contact'] });
    await sb.api.post('/v1/accounts/acme/events', { conversation_type: 'monitor', conversation_key: 'main', event_type: 'server_down', event_data: {} });
    const letters = await (async () => {
      for (let i = 0; i < 100; i++) {
        const list = (await sb.api.get('/v1/accounts/acme/deadletters')).body.deadletters;
        if (list.length) return list;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return [];
    })();
    expect(letters[0].error.message).toMatch(/users\.0: contact "no-such-contact" does not exist/);
    expect(letters[0].attempts).toBe(1);
  });
});
