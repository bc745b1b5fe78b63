import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BUCKETS } from '#libs/bus';
import { ESCALATION_TIMER } from '#libs/escalation';
import { publishEvent, type VumiApiEvent } from '#libs/events';
import { signWebhook } from '#libs/vonage';
import { loadOrCreateSimCredentials } from '../../apps/server/simCredentials.js';
import { EscalationPage, EscalationView } from '../../apps/server/http/answers.js';
import { bodyOf } from '../support/api.js';
import { timersDone } from '../support/settled.js';
import { useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { escalationDriver, escalationsSettled, sampleWith, watchEvents } from './support.js';

// 600 s of the tutorial's default expiry pass in 600 ms.
const SCALE = 0.001;
const sb = useSwitchboard({ env: { SWITCHBOARD_TIME_SCALE: String(SCALE) } });

const { fixture, escalate, finished } = escalationDriver(sb, { accountPrefix: 'esc', addressBase: 900 });

const sent = (esc: EscalationView) =>
  esc.attempts.filter((attempt) => attempt.message_uuid).map((attempt) => `${attempt.user_name}/${attempt.channel}`);

/** The attempts an outcome event lists, as far as these tests read them. */
const OutcomeAttempts = z.array(z.looseObject({ channel: z.string(), result: z.string().optional(), message_uuid: z.string().optional() }));
const attemptsOf = (event: VumiApiEvent) => OutcomeAttempts.parse(event.event_data.attempts);

describe('escalate_users, messages mode', () => {
  it("runs the tutorial's sample: Tony never reads, Michael reads on WhatsApp", async () => {
    const { account, a } = fixture();
    const sim = sb.provider.simulator!;
    sim.setScenario(a.tonyMessenger, { outcome: 'delivered' });
    sim.setScenario(a.tonySms, { outcome: 'silent' });
    sim.setScenario(a.michaelViber, { outcome: 'delivered' });
    sim.setScenario(a.michaelWhatsapp, { outcome: 'read', read_after_ms: 100_000 });
    const watch = watchEvents(sb.bus, account);

    await escalate(account, sampleWith(a));
    const esc = await finished(account);
    expect(esc.status).toBe('read');
    expect(esc.outcome).toMatchObject({ status: 'read', user: 'Michael', channel: 'whatsapp' });
    expect(sent(esc)).toEqual(['Tony/messenger', 'Tony/sms', 'Michael/viber_service', 'Michael/whatsapp']);
    expect(esc.attempts.map((attempt) => attempt.result)).toEqual(['expired', 'expired', 'expired', 'read']);
    expect(sim.messages({ to: a.michaelSms })).toHaveLength(0);
    expect(sim.messages({ to: a.tonyMessenger })[0]!.text).toBe('[Tony]: Server is about to melt!');

    const [read] = await waitFor('escalation_read', () => watch.ofType('escalation_read').length > 0 && watch.ofType('escalation_read'));
    expect(read!.event_data).toMatchObject({ escalation_id: esc.id, user: 'Michael', channel: 'whatsapp', status: 'read' });
    expect(read!.event_data.elapsed_ms as number).toBeGreaterThan(3 * 600 * SCALE * 1000);
    expect(attemptsOf(read!).map((attempt) => attempt.channel)).toEqual(['messenger', 'sms', 'viber_service', 'whatsapp']);
    expect(read!.conversation_key).toBe('main');
    await escalationsSettled(sb, account);
    expect(watch.ofType('escalation_started')).toHaveLength(1);
    expect(watch.ofType('escalation_attempt')).toHaveLength(4);
    expect(watch.ofType('escalation_read')).toHaveLength(1);
    expect(watch.ofType('escalation_exhausted')).toHaveLength(0);
    watch.stop();
  });

  it('sends each message once without looking its ref up: the send was created by the write just made', async () => {
    const { account, a } = fixture();
    const sim = sb.provider.simulator!;
    for (const to of Object.values(a)) sim.setScenario(to, { outcome: 'silent' });
    const messages = sb.stores.messages;
    const lookups: string[] = [];
    const findByRef = messages.findByRef.bind(messages);
    messages.findByRef = async (acct, ref) => {
      if (acct === account) lookups.push(ref);
      return findByRef(acct, ref);
    };
    try {
      await escalate(account, sampleWith(a));
      const esc = await finished(account);
      expect(sent(esc)).toHaveLength(5);
      for (const to of Object.values(a)) expect(sim.messages({ to })).toHaveLength(1);
      expect(lookups).toEqual([]);
    } finally {
      messages.findByRef = findByRef;
    }
  });

  it('ends exhausted when nobody reads, having respected every expiry in order', async () => {
    const { account, a } = fixture();
    const sim = sb.provider.simulator!;
    for (const to of Object.values(a)) sim.setScenario(to, { outcome: 'silent' });
    const watch = watchEvents(sb.bus, account);
    await escalate(account, sampleWith(a));
    const esc = await finished(account);
    expect(esc.status).toBe('exhausted');
    expect(sent(esc)).toEqual(['Tony/messenger', 'Tony/sms', 'Michael/viber_service', 'Michael/whatsapp', 'Michael/sms']);
    const times = esc.attempts.map((attempt) => Date.parse(attempt.sent_at!));
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(600 * SCALE * 1000 - 5);
    const [exhausted] = await waitFor(
      'escalation_exhausted',
      () => watch.ofType('escalation_exhausted').length > 0 && watch.ofType('escalation_exhausted'),
    );
    expect(attemptsOf(exhausted!).map((attempt) => attempt.result)).toEqual(['expired', 'expired', 'expired', 'expired', 'expired']);
    expect(attemptsOf(exhausted!).every((attempt) => typeof attempt.message_uuid === 'string')).toBe(true);
    await escalationsSettled(sb, account);
    expect(watch.ofType('escalation_read')).toHaveLength(0);
    expect(watch.ofType('escalation_exhausted')).toHaveLength(1);
    watch.stop();
  });

  it('honours per-channel expiries and a delivered condition (the tutorial case 3)', async () => {
    const { account, a } = fixture();
    const sim = sb.provider.simulator!;
    sim.setScenario(a.michaelViber, { outcome: 'silent' });
    sim.setScenario(a.michaelWhatsapp, { outcome: 'delivered', delivered_after_ms: 50_000 });
    const config = sampleWith(a);
    config.USERS = [config.USERS[1]!];
    config.USERS[0]!.channels[0]!.expiry_time = '200';
    config.USERS[0]!.channels[1]!.condition_status = 'delivered';
    config.USERS[0]!.channels[1]!.expiry_time = 900;
    await escalate(account, config);
    const esc = await finished(account);
    expect(esc.outcome).toMatchObject({ status: 'delivered', user: 'Michael', channel: 'whatsapp' });
    const [viber, whatsapp] = esc.attempts.map((attempt) => ({
      sent: Date.parse(attempt.sent_at!),
      deadline: Date.parse(attempt.deadline_at!),
    }));
    expect(whatsapp!.sent - viber!.sent).toBeGreaterThanOrEqual(200 * SCALE * 1000 - 5);
    expect(whatsapp!.sent - viber!.sent).toBeLessThan(600 * SCALE * 1000);
    expect(whatsapp!.deadline - whatsapp!.sent).toBe(900 * SCALE * 1000);
    expect(esc.plan.users[0]!.channels[2]).toMatchObject({ type: 'sms', condition: 'delivered' });
  });

  it('fails over at once on rejected, without waiting for the expiry', async () => {
    const { account, a } = fixture();
    const sim = sb.provider.simulator!;
    sim.setScenario(a.tonyMessenger, { outcome: 'rejected', delivered_after_ms: 10 });
    sim.setScenario(a.tonySms, { outcome: 'delivered', delivered_after_ms: 10 });
    const config = sampleWith(a, { failover: { expiry_time: 86_400 } });
    await escalate(account, config);
    const esc = await finished(account);
    expect(esc.outcome).toMatchObject({ status: 'delivered', user: 'Tony', channel: 'sms' });
    expect(esc.attempts[0]).toMatchObject({ channel: 'messenger', result: 'failed', error: 'rejected' });
    // 86,400 s scaled is 86 s: the failover did not wait for it.
    expect(Date.parse(esc.attempts[1]!.sent_at!) - Date.parse(esc.attempts[0]!.sent_at!)).toBeLessThan(5_000);
  });

  it('fails over at once when the provider refuses a send for good (a 4xx)', async () => {
    const { account, a } = fixture();
    const sim = sb.provider.simulator!;
    sim.setScenario(a.tonyMessenger, { outcome: 'read', fail_first: { count: 100, status: 422 } });
    sim.setScenario(a.tonySms, { outcome: 'delivered' });
    await escalate(account, sampleWith(a, { failover: { expiry_time: 86_400 } }));
    const esc = await finished(account);
    expect(esc.attempts[0]).toMatchObject({ channel: 'messenger', result: 'failed' });
    expect(esc.attempts[0]!.error).toMatch(/Vonage/i);
    expect(esc.outcome).toMatchObject({ user: 'Tony', channel: 'sms' });
  });

  it('counts a read of an earlier message that arrives after the failover', async () => {
    const { account, a } = fixture();
    const sim = sb.provider.simulator!;
    sim.setScenario(a.tonyMessenger, { outcome: 'read', read_after_ms: 900_000 });
    sim.setScenario(a.tonySms, { outcome: 'silent' });
    const watch = watchEvents(sb.bus, account);
    await escalate(account, sampleWith(a));
    const esc = await finished(account);
    expect(esc.outcome).toMatchObject({ status: 'read', user: 'Tony', channel: 'messenger', attempt: 0 });
    expect(sent(esc)).toEqual(['Tony/messenger', 'Tony/sms']);
    expect(esc.attempts[1]!.result).toBe('superseded');
    // The superseded SMS's expiry comes and goes without moving on to Michael.
    await timersDone(sb.bus, ESCALATION_TIMER, account);
    await escalationsSettled(sb, account);
    expect(sim.messages({ to: a.michaelViber })).toHaveLength(0);
    expect(watch.ofType('escalation_read')).toHaveLength(1);
    watch.stop();
  });

  it('takes a reply from the user as an acknowledgement', async () => {
    const { account, a } = fixture();
    const sim = sb.provider.simulator!;
    sim.setScenario(a.tonyMessenger, { outcome: 'delivered', reply: { after_ms: 100_000, text: 'on it' } });
    await escalate(account, sampleWith(a));
    const esc = await finished(account);
    expect(esc.status).toBe('read');
    expect(esc.outcome).toMatchObject({ status: 'replied', user: 'Tony', channel: 'messenger' });
    expect(esc.attempts[0]!.result).toBe('replied');
  });

  it('forgets, at a reply, every escalation that messaged the address and has ended', async () => {
    const { account, a } = fixture();
    const sim = sb.provider.simulator!;
    const repliedTo = () => sb.escalationStore.byAddress('messenger', a.tonyMessenger);
    sim.setScenario(a.tonyMessenger, { outcome: 'read' });
    await escalate(account, sampleWith(a));
    const earlier = await finished(account);
    expect(earlier.outcome).toMatchObject({ status: 'read', user: 'Tony' });
    // Ended, yet still indexed: until a reply comes, nothing looks at the address.
    await waitFor('the address indexed', async () => (await repliedTo()).length === 1);

    // A second escalation, in another account, messages Tony again, and Tony writes back.
    const later = `${account}-2`;
    sim.setScenario(a.tonyMessenger, { outcome: 'delivered', reply: { after_ms: 100_000, text: 'on it' } });
    await escalate(later, sampleWith(a));
    expect((await finished(later)).outcome).toMatchObject({ status: 'replied', user: 'Tony' });
    await waitFor('both escalations out of the address index', async () => (await repliedTo()).length === 0);
    // Gone without a delete marker: no subject is left for the next listing to scan.
    for (const acct of [account, later]) {
      const info = await sb.bus.jsm.streams.info(`KV_${BUCKETS.escalations}`, {
        subjects_filter: `$KV.${BUCKETS.escalations}._reply._addr.*.${acct}.*`,
      });
      expect(info.state.subjects ?? {}).toEqual({});
    }
    // The earlier escalation is untouched by the reply.
    expect(bodyOf(await sb.api.get(`/v1/accounts/${account}/escalations/${earlier.id}`), EscalationView).outcome).toEqual(earlier.outcome);
  });

  it('applies duplicate and out-of-order receipts once', async () => {
    const { account, a } = fixture();
    const sim = sb.provider.simulator!;
    sim.setScenario(a.tonyMessenger, { outcome: 'silent' });
    const watch = watchEvents(sb.bus, account);
    await escalate(account, sampleWith(a, { failover: { expiry_time: 86_400 } }));
    const first = await waitFor('the first send', () => sim.messages({ to: a.tonyMessenger })[0]);
    const uuid = first.message_uuid;
    const { signature_secret } = await loadOrCreateSimCredentials(sb.dataDir);
    const receipt = async (status: string, at: string) => {
      // As Vonage does, each receipt echoes the client_ref of the send.
      const body = JSON.stringify({
        message_uuid: uuid,
        to: a.tonyMessenger,
        from: 'company-page',
        timestamp: at,
        status,
        channel: 'messenger',
        client_ref: first.client_ref,
      });
      const token = await signWebhook(body, signature_secret);
      const res = await sb.api.post('/webhooks/status', body, { authorization: `Bearer ${token}` });
      expect(res.status).toBe(200);
    };
    const t0 = Date.now();
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    // Read arrives first, then a duplicate of it, then the delivered that came before it.
    await receipt('read', at(300));
    await receipt('read', at(300));
    await receipt('delivered', at(200));
    await receipt('read', at(300));
    const esc = await finished(account);
    expect(esc.outcome).toMatchObject({ status: 'read', channel: 'messenger' });
    // The provider's own `submitted` (a silent recipient's only status) comes first.
    await waitFor('delivered in the timeline', async () => {
      const one = bodyOf(await sb.api.get(`/v1/accounts/${account}/escalations/${esc.id}`), EscalationView);
      return one.attempts[0]!.statuses.length === 3;
    });
    const timeline = bodyOf(await sb.api.get(`/v1/accounts/${account}/escalations/${esc.id}`), EscalationView).attempts[0]!.statuses;
    expect(timeline.map((s) => s.status)).toEqual(['submitted', 'delivered', 'read']);
    await escalationsSettled(sb, account);
    expect(watch.ofType('escalation_read')).toHaveLength(1);
    expect(sent(esc)).toEqual(['Tony/messenger']);
    watch.stop();
  });

  it('cancels: no more sends, and escalation_cancelled', async () => {
    const { account, a } = fixture();
    const sim = sb.provider.simulator!;
    for (const to of Object.values(a)) sim.setScenario(to, { outcome: 'silent' });
    const watch = watchEvents(sb.bus, account);
    await escalate(account, sampleWith(a, { failover: { expiry_time: 300 } }));
    const [esc] = await waitFor('the escalation', async () => {
      const list = bodyOf(await sb.api.get(`/v1/accounts/${account}/escalations`), EscalationPage).escalations;
      return list[0]?.attempts[0]?.message_uuid ? list : undefined;
    });
    const cancelled = await sb.api.post(`/v1/accounts/${account}/escalations/${esc!.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(bodyOf(cancelled, EscalationView).status).toBe('cancelled');
    expect((await sb.api.post(`/v1/accounts/${account}/escalations/${esc!.id}/cancel`)).status).toBe(409);
    expect((await sb.api.post(`/v1/accounts/${account}/escalations/nope/cancel`)).status).toBe(404);
    await waitFor('escalation_cancelled', () => watch.ofType('escalation_cancelled').length === 1);
    // The expiry of the cancelled attempt comes and goes without a send.
    await timersDone(sb.bus, ESCALATION_TIMER, account);
    await escalationsSettled(sb, account);
    expect(sim.messages({ to: a.tonySms })).toHaveLength(0);
    expect(watch.ofType('escalation_exhausted')).toHaveLength(0);
    watch.stop();
  });

  it('starts one escalation for a redelivered trigger', async () => {
    const { account, a } = fixture();
    for (const to of Object.values(a)) sb.provider.simulator!.setScenario(to, { outcome: 'read' });
    await sb.api.put(`/v1/accounts/${account}/routes/melt`, {
      match: { event_type: 'server_down' },
      steps: [{ handler: 'escalate_users', config: sampleWith(a) }],
    });
    const event = {
      account_key: account,
      event_id: `evt-${randomUUID()}`,
      conversation_type: 'monitor',
      conversation_key: 'main',
      event_type: 'server_down',
      event_data: { message: 'x' },
    };
    // The same event again under another message id: past JetStream's duplicate window, as a redelivery would be.
    await publishEvent(sb.bus.js, event);
    await publishEvent(sb.bus.js, event, { msgId: `${event.event_id}-again` });
    await finished(account);
    await escalationsSettled(sb, account);
    expect(bodyOf(await sb.api.get(`/v1/accounts/${account}/escalations`), EscalationPage).escalations).toHaveLength(1);
    expect(sb.provider.simulator!.messages({ to: a.tonyMessenger })).toHaveLength(1);
  });

  it('repeats the whole list when asked, before giving up', async () => {
    const { account, a } = fixture();
    for (const to of Object.values(a)) sb.provider.simulator!.setScenario(to, { outcome: 'silent' });
    const config = sampleWith(a, { failover: { expiry_time: 100 }, final_expiry: 100, repeat: 1 });
    for (const user of config.USERS) delete user.channels.at(-1)!.expiry_time;
    await escalate(account, config);
    const esc = await finished(account);
    expect(esc.status).toBe('exhausted');
    expect(esc.attempts.map((attempt) => attempt.round)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  });

  it('chains: poll_complete starts an escalation, and its exhaustion messages the manager', async () => {
    const { account, a, n } = fixture();
    for (const to of Object.values(a)) sb.provider.simulator!.setScenario(to, { outcome: 'silent' });
    const manager = `4477099${String(n).padStart(4, '0')}`;
    await sb.api.put(`/v1/accounts/${account}/routes/escalate`, {
      match: { conversation_type: 'poll', event_type: 'poll_complete', where: { 'event_data.status': 'down' } },
      steps: [
        {
          handler: 'escalate_users',
          config: sampleWith(a, {
            text: '[{{user.name}}] {{event.event_data.server}} is down',
            failover: { expiry_time: 50 },
            final_expiry: 50,
          }),
        },
      ],
    });
    await sb.api.put(`/v1/accounts/${account}/routes/panic`, {
      match: { conversation_type: 'poll', event_type: 'escalation_exhausted' },
      steps: [
        {
          handler: 'send_message',
          config: {
            to: { type: 'sms', id_num: manager },
            text: 'Nobody answered for {{event.event_data.escalation_id}} after {{event.event_data.attempts.4.channel}}',
          },
        },
      ],
    });
    await sb.api.post(`/v1/accounts/${account}/events`, {
      conversation_type: 'poll',
      conversation_key: 'ops-poll',
      event_type: 'poll_complete',
      event_data: { status: 'down', server: 'db-1' },
    });
    const esc = await finished(account);
    expect(esc.status).toBe('exhausted');
    const [message] = await waitFor(
      'the manager message',
      () => sb.provider.simulator!.messages({ to: manager }).length > 0 && sb.provider.simulator!.messages({ to: manager }),
    );
    expect(message!.text).toBe(`Nobody answered for ${esc.id} after sms`);
    expect(sb.provider.simulator!.messages({ to: a.tonyMessenger })[0]!.text).toBe('[Tony] db-1 is down');
  });
});
