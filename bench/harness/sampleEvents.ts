import { randomUUID } from 'node:crypto';
import type { VumiApiEvent } from '#libs/events';
import type { OutgoingMessage } from './publisher.js';

export const BENCH_ACCOUNT = 'bench';
export const THROUGHPUT_EVENT_TYPE = 'poll_complete';
export const LATENCY_EVENT_TYPE = 'bench_probe';

const encoder = new TextEncoder();

/** A prefix that keeps event ids distinct across runs, so JetStream's duplicate window never drops one. */
export function runPrefix(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

/**
 * A poll_complete as the poll app publishes it, with a contact's answers and the session's
 * metadata: about 700 bytes of JSON, the size the dispatcher sees in practice.
 */
export function sampleEvent(
  eventId: string,
  index: number,
  eventType = THROUGHPUT_EVENT_TYPE,
  extra: Record<string, unknown> = {},
): VumiApiEvent {
  const msisdn = `4477009${String(index % 1_000_000).padStart(6, '0')}`;
  return {
    event_id: eventId,
    account_key: BENCH_ACCOUNT,
    conversation_type: 'poll',
    conversation_key: 'ops-poll',
    event_type: eventType,
    timestamp: new Date().toISOString(),
    event_data: {
      poll_key: 'ops-poll',
      session_id: `sess-${eventId}`,
      status: index % 10 === 0 ? 'down' : 'up',
      contact: { msisdn, name: `Contact ${index}`, language: 'en', channel: 'sms' },
      answers: {
        service: 'payments-api',
        severity: ['low', 'medium', 'high', 'critical'][index % 4],
        region: 'eu-west-1',
        comment: 'Checkout requests time out after 30 seconds for some customers since the last deploy.',
        acknowledged: index % 3 === 0,
      },
      started_at: '2025-01-01T09:00:00.000Z',
      completed_at: '2025-01-01T09:02:13.500Z',
      question_count: 5,
      transport: { name: 'sms_transport', message_id: `msg-${eventId}`, network: 'bench-net' },
      ...extra,
    },
  };
}

/** `count` distinct events, serialized once so that timing covers the bus, not JSON.stringify. */
export function encodedEvents(prefix: string, count: number, subjectOf: (event: VumiApiEvent) => string): OutgoingMessage[] {
  return Array.from({ length: count }, (_, index) => {
    const event = sampleEvent(`${prefix}-${index}`, index);
    return { subject: subjectOf(event), data: encoder.encode(JSON.stringify(event)), msgID: event.event_id };
  });
}
