import { describe, expect, it } from 'vitest';
import { errorOf } from '../support/api.js';
import { useSwitchboard } from '../support/switchboard.js';
import { waitFor } from '../support/waitFor.js';
import { escalationDriver, escalationsSettled, sampleWith, watchEvents } from './support.js';

const SCALE = 0.001;
const sb = useSwitchboard({ env: { SWITCHBOARD_TIME_SCALE: String(SCALE) } });

const { fixture, escalate, finished } = escalationDriver(sb, { accountPrefix: 'dsp', addressBase: 800 });

describe('escalate_users, dispatch mode (one Dispatch API workflow per user)', () => {
  it("runs the tutorial's sample: Tony never reads, Michael reads on WhatsApp", async () => {
    const { account, a } = fixture();
    const sim = sb.provider.simulator!;
    sim.setScenario(a.tonyMessenger, { outcome: 'delivered' });
    // Undeliverable rather than silent: a workflow whose last message never reports has no final report.
    sim.setScenario(a.tonySms, { outcome: 'undeliverable' });
    sim.setScenario(a.michaelViber, { outcome: 'delivered' });
    sim.setScenario(a.michaelWhatsapp, { outcome: 'read', read_after_ms: 100_000 });
    const watch = watchEvents(sb.bus, account);
    await escalate(account, sampleWith(a, { mode: 'dispatch' }));
    const esc = await finished(account);
    expect(esc.status).toBe('read');
    expect(esc.outcome).toMatchObject({ status: 'read', user: 'Michael', channel: 'whatsapp' });
    expect(esc.dispatches).toHaveLength(2);
    expect(esc.dispatches.every((run) => typeof run.dispatch_uuid === 'string')).toBe(true);
    expect(esc.attempts.map((attempt) => `${attempt.user_name}/${attempt.channel}`)).toEqual([
      'Tony/messenger',
      'Tony/sms',
      'Michael/viber_service',
      'Michael/whatsapp',
    ]);
    // Every message of a user's workflow is correlated to that user's workflow.
    expect(new Set(esc.attempts.slice(0, 2).map((attempt) => attempt.dispatch_uuid))).toEqual(new Set([esc.dispatches[0]!.dispatch_uuid]));
    expect(
      sim
        .messages()
        .filter((message) => message.dispatch_uuid === esc.dispatches[1]!.dispatch_uuid)
        .map((m) => m.channel),
    ).toEqual(['viber_service', 'whatsapp']);
    await waitFor('escalation_read', () => watch.ofType('escalation_read').length === 1);
    await escalationsSettled(sb, account);
    expect(watch.ofType('escalation_read')).toHaveLength(1);
    watch.stop();
  });

  it("waits the user's final expiry for a read after the workflow ends, then goes to the next user", async () => {
    const { account, a } = fixture();
    const sim = sb.provider.simulator!;
    sim.setScenario(a.tonyMessenger, { outcome: 'delivered' });
    sim.setScenario(a.tonySms, { outcome: 'undeliverable' });
    sim.setScenario(a.michaelViber, { outcome: 'read' });
    await escalate(account, sampleWith(a, { mode: 'dispatch', failover: { expiry_time: 100 }, final_expiry: 400 }));
    const esc = await finished(account);
    expect(esc.outcome).toMatchObject({ user: 'Michael', channel: 'viber_service' });
    const [tony, michael] = esc.dispatches;
    expect(tony!.final_status).toBe('error');
    expect(Date.parse(michael!.created_at!) - Date.parse(tony!.final_at!)).toBeGreaterThanOrEqual(400 * SCALE * 1000 - 5);
  });

  it('counts a read that arrives while waiting after the workflow', async () => {
    const { account, a } = fixture();
    const sim = sb.provider.simulator!;
    sim.setScenario(a.tonyMessenger, { outcome: 'read', read_after_ms: 250_000 });
    sim.setScenario(a.tonySms, { outcome: 'undeliverable' });
    await escalate(account, sampleWith(a, { mode: 'dispatch', failover: { expiry_time: 100 }, final_expiry: 600 }));
    const esc = await finished(account);
    expect(esc.outcome).toMatchObject({ status: 'read', user: 'Tony', channel: 'messenger' });
    expect(esc.dispatches).toHaveLength(1);
  });

  it('moves on at once when a workflow fails outright, and exhausts when every user fails', async () => {
    const { account, a } = fixture();
    const sim = sb.provider.simulator!;
    for (const to of Object.values(a)) sim.setScenario(to, { outcome: 'undeliverable' });
    await escalate(account, sampleWith(a, { mode: 'dispatch', failover: { expiry_time: 100 }, final_expiry: 86_400 }));
    const esc = await finished(account);
    expect(esc.status).toBe('exhausted');
    expect(esc.dispatches.map((run) => run.final_status)).toEqual(['error', 'error']);
    expect(esc.attempts).toHaveLength(5);
    expect(esc.attempts.every((attempt) => attempt.result === 'failed')).toBe(true);
  });

  it('rejects channels the Dispatch API cannot send', async () => {
    const { account, a } = fixture();
    const config = sampleWith(a, { mode: 'dispatch' });
    config.USERS[0]!.channels[0] = { type: 'rcs', id_num: '447700900999' };
    const res = await sb.api.put(`/v1/accounts/${account}/routes/melt`, { match: {}, steps: [{ handler: 'escalate_users', config }] });
    expect(res.status).toBe(400);
    expect(errorOf(res).message).toMatch(/user "Tony", channel 1 \(rcs\): the Dispatch API cannot send rcs/);
  });
});
