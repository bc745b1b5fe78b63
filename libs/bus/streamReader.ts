import { DeliverPolicy, type StoredMsg } from 'nats';
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

function headerRecord(msg: { headers?: { keys(): string[]; get(key: string): string } }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of msg.headers?.keys() ?? []) out[key] = msg.headers!.get(key);
  return out;
}

/**
 * The most recent `limit` messages of a stream under a subject filter, oldest first. It reads
 * through an ordered (ephemeral, ack-less) consumer, so listing never disturbs the workers.
 */
export async function readRecent(bus: Bus, stream: string, filter: string, limit: number): Promise<StreamRecord[]> {
  const info = await bus.jsm.streams.info(stream, { subjects_filter: filter });
  const total = Object.values(info.state.subjects ?? {}).reduce((sum, count) => sum + count, 0);
  if (total === 0) return [];

  const consumer = await bus.js.consumers.get(stream, { filterSubjects: filter, deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume({ max_messages: Math.min(total, 1000) });
  const recent: StreamRecord[] = [];
  try {
    for await (const msg of messages) {
      recent.push({ seq: msg.seq, subject: msg.subject, time: new Date(msg.info.timestampNanos / 1e6), data: msg.data, headers: headerRecord(msg) });
      if (recent.length > limit) recent.shift();
      if (msg.info.pending === 0) break;
    }
  } finally {
    await messages.close();
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
  return { seq: stored.seq, subject: stored.subject, time: stored.time, data: stored.data, headers: headerRecord(stored.header ? { headers: stored.header } : {}) };
}
