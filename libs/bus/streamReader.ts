import { AckPolicy, DeliverPolicy, nanos, type StoredMsg } from 'nats';
import type { Bus } from './connection.js';

export interface StreamRecord {
  seq: number;
  subject: string;
  time: Date;
  data: Uint8Array;
  headers: Record<string, string>;
}

const decoder = new TextDecoder();

/** The record's body parsed as JSON. */
export function recordJson(record: StreamRecord): unknown {
  return JSON.parse(decoder.decode(record.data));
}

/** A stored message's body parsed as JSON, or undefined when it is not JSON (the reader's schema then refuses it). */
export function jsonOrUndefined(data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
}

function headerRecord(msg: { headers?: { keys(): string[]; get(key: string): string } }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of msg.headers?.keys() ?? []) out[key] = msg.headers!.get(key);
  return out;
}

/**
 * The most recent `limit` messages of a stream under a subject filter, oldest first. It reads
 * through a short-lived ack-less consumer of its own, so listing never disturbs the workers.
 */
export async function readRecent(bus: Bus, stream: string, filter: string, limit: number): Promise<StreamRecord[]> {
  const info = await bus.jsm.consumers.add(stream, {
    filter_subject: filter,
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.All,
    mem_storage: true,
    inactive_threshold: nanos(30_000),
  });
  const recent: StreamRecord[] = [];
  try {
    const consumer = await bus.js.consumers.get(stream, info.name);
    let remaining = info.num_pending;
    while (remaining > 0) {
      const batch = await consumer.fetch({ max_messages: Math.min(remaining, 1000), expires: 2000 });
      let received = 0;
      for await (const msg of batch) {
        received++;
        remaining = msg.info.pending;
        recent.push({
          seq: msg.seq,
          subject: msg.subject,
          time: new Date(msg.info.timestampNanos / 1e6),
          data: msg.data,
          headers: headerRecord(msg),
        });
        if (recent.length > limit) recent.shift();
      }
      if (received === 0) break;
    }
  } finally {
    await bus.jsm.consumers.delete(stream, info.name).catch(() => undefined);
  }
  return recent;
}

/** One stored message by sequence, or undefined when it is gone. */
export async function readBySeq(bus: Bus, stream: string, seq: number): Promise<StreamRecord | undefined> {
  let stored: StoredMsg;
  try {
    stored = await bus.jsm.streams.getMessage(stream, { seq });
  } catch {
    return undefined;
  }
  return {
    seq: stored.seq,
    subject: stored.subject,
    time: stored.time,
    data: stored.data,
    headers: headerRecord(stored.header ? { headers: stored.header } : {}),
  };
}

/** JetStream's answer time for API requests. */
const DIRECT_GET_TIMEOUT_MS = 5_000;

/**
 * The last message on a subject, read with a direct get (the stream needs allow_direct), or
 * undefined. Asked on JetStream's direct-get subject itself: nats.js 2.29 leaves its own direct
 * gets out of the interface it exports, and turns "no message" into a thrown error, where the
 * answer's status header says it as plainly.
 */
export async function lastBySubject(bus: Bus, stream: string, subject: string): Promise<Uint8Array | undefined> {
  const reply = await bus.nc.request(`$JS.API.DIRECT.GET.${stream}`, JSON.stringify({ last_by_subj: subject }), {
    timeout: DIRECT_GET_TIMEOUT_MS,
  });
  return reply.headers?.hasError ? undefined : reply.data;
}
