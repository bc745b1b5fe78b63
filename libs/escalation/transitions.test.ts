import { describe, expect, it } from 'vitest';
import type { Escalation, EscalationPlan } from './model.js';
import * as t from './transitions.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const scale: t.Scale = (seconds) => seconds * 1000;

const plan: EscalationPlan = {
  mode: 'messages',
  rounds: 1,
  text: 'hi {{user.name}}',
  users: [
    {
      name: 'Tony',
      final_expiry_s: 600,
      channels: [
        { type: 'messenger', to: 'tony', from: 'page', condition: 'read', expiry_s: 60 },
        { type: 'sms', to: '447700900001', from: 'Co', condition: 'delivered', expiry_s: 600 },
      ],
    },
  ],
};

function started(): Escalation {
  return t.createEscalation(
    {
      id: 'esc-1',
      account_key: 'acme',
      route_id: 'r',
      step: 0,
      trigger: {
        event_id: 'e1',
        account_key: 'acme',
        conversation_type: 'poll',
        conversation_key: 'p',
        event_type: 'x',
        event_data: {},
        timestamp: new Date(T0).toISOString(),
      },
    },
    plan,
    T0,
  );
}

const at = (ms: number) => new Date(T0 + ms).toISOString();
const emits = (esc: Escalation) =>
  esc.outbox.filter((effect) => effect.kind === 'emit').map((effect) => (effect.kind === 'emit' ? effect.event_type : ''));

describe('escalation transitions', () => {
  it('starts with escalation_started and the first send', () => {
    const esc = started();
    expect(esc.outbox.map((effect) => effect.id)).toEqual(['emit-escalation_started', 'send-0']);
    expect(esc.attempts).toHaveLength(1);
  });

  it('keeps a receipt that arrives before the send is recorded, and ends on it', () => {
    const read = t.applyReceipt(started(), 0, { status: 'read', at: at(5) }, T0 + 5)!;
    expect(read.status).toBe('read');
    expect(read.outcome).toMatchObject({ user: 'Tony', channel: 'messenger', status: 'read', elapsed_ms: 5 });
    const recorded = t.recordSent(read, 0, { message_uuid: 'm0', at: T0 + 6 }, scale)!;
    expect(recorded.attempts[0]).toMatchObject({ message_uuid: 'm0', result: 'read' });
    // Ended: no expiry timer and no progress event for it.
    expect(recorded.outbox.some((effect) => effect.kind === 'timer')).toBe(false);
    expect(emits(recorded)).toEqual(['escalation_started', 'escalation_read']);
  });

  it('changes nothing for a duplicate receipt, a repeated send record, or a stale timer', () => {
    const sent = t.recordSent(started(), 0, { message_uuid: 'm0', at: T0 }, scale)!;
    expect(t.recordSent(sent, 0, { message_uuid: 'm0', at: T0 }, scale)).toBeUndefined();
    const delivered = t.applyReceipt(sent, 0, { status: 'delivered', at: at(1) }, T0 + 1)!;
    expect(t.applyReceipt(delivered, 0, { status: 'delivered', at: at(1) }, T0 + 2)).toBeUndefined();
    const expired = t.expireAttempt(delivered, 0, T0 + 60_000)!;
    expect(expired.cursor).toEqual({ round: 0, user: 0, channel: 1 });
    expect(t.expireAttempt(expired, 0, T0 + 60_001)).toBeUndefined();
  });

  it('takes the message id from a receipt that beats the record of its send, and still records the send once', () => {
    const read = t.applyReceipt(started(), 0, { status: 'read', at: at(5), message_uuid: 'm0' }, T0 + 5)!;
    expect(read.status).toBe('read');
    expect(read.attempts[0]).toMatchObject({ message_uuid: 'm0', result: 'read' });
    const recorded = t.recordSent(read, 0, { message_uuid: 'm0', at: T0 + 6 }, scale)!;
    expect(recorded.attempts[0]).toMatchObject({ message_uuid: 'm0', sent_at: at(6) });
    expect(recorded.outbox.some((effect) => effect.kind === 'send')).toBe(false);
    expect(t.recordSent(recorded, 0, { message_uuid: 'm0', at: T0 + 7 }, scale)).toBeUndefined();
  });

  it('produces exactly one outcome however many inputs follow the end', () => {
    let esc = t.recordSent(started(), 0, { message_uuid: 'm0', at: T0 }, scale)!;
    esc = t.applyReceipt(esc, 0, { status: 'read', at: at(10) }, T0 + 10)!;
    const after = [
      t.applyReceipt(esc, 0, { status: 'read', at: at(11) }, T0 + 11),
      t.expireAttempt(esc, 0, T0 + 60_000),
      t.acknowledgeReply(esc, { channel: 'messenger', from: 'tony', at: at(12) }, T0 + 12),
      t.cancel(esc, T0 + 13),
    ];
    const outcomes = (doc: Escalation) =>
      emits(doc).filter((type) => ['escalation_read', 'escalation_exhausted', 'escalation_cancelled'].includes(type));
    expect(outcomes(esc)).toEqual(['escalation_read']);
    for (const next of after) if (next) expect(outcomes(next)).toEqual(['escalation_read']);
    expect(t.cancel(esc, T0 + 13)).toBeUndefined();
  });

  it('fails over at once on a rejection of the current attempt, and then exhausts', () => {
    let esc = t.recordSent(started(), 0, { message_uuid: 'm0', at: T0 }, scale)!;
    esc = t.applyReceipt(esc, 0, { status: 'rejected', at: at(1) }, T0 + 1)!;
    expect(esc.attempts.map((attempt) => attempt.result)).toEqual(['failed', undefined]);
    esc = t.recordSent(esc, 1, { message_uuid: 'm1', at: T0 + 2 }, scale)!;
    // The last channel waits the user's final expiry.
    expect(esc.attempts[1]!.deadline_at).toBe(at(2 + 600_000));
    esc = t.expireAttempt(esc, 1, T0 + 600_002)!;
    expect(esc.status).toBe('exhausted');
    expect(emits(esc).at(-1)).toBe('escalation_exhausted');
  });

  it('takes a reply only from an address the escalation messaged', () => {
    const esc = t.recordSent(started(), 0, { message_uuid: 'm0', at: T0 }, scale)!;
    expect(t.acknowledgeReply(esc, { channel: 'messenger', from: 'someone-else', at: at(1) }, T0 + 1)).toBeUndefined();
    expect(t.acknowledgeReply(esc, { channel: 'sms', from: 'tony', at: at(1) }, T0 + 1)).toBeUndefined();
    expect(t.acknowledgeReply(esc, { channel: 'messenger', from: 'tony', at: at(1) }, T0 + 1)!.outcome?.status).toBe('replied');
  });

  it('drops pending sends and timers when cancelled, but keeps the events', () => {
    const esc = t.cancel(started(), T0 + 1)!;
    expect(esc.status).toBe('cancelled');
    expect(esc.outbox.map((effect) => effect.kind)).toEqual(['emit', 'emit']);
    expect(emits(esc)).toEqual(['escalation_started', 'escalation_cancelled']);
  });
});
