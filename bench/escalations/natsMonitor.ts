import { readFileSync } from 'node:fs';

/** What the server's NATS connection carried: messages and bytes each way, as nats-server counts them. */
export interface ConnectionTraffic {
  /** From the client: publishes, requests, acks, KV writes and reads. */
  inMsgs: number;
  inBytes: number;
  /** To the client: replies, consumed messages. */
  outMsgs: number;
  outBytes: number;
}

interface Connz {
  connections: Array<{ name?: string; in_msgs: number; in_bytes: number; out_msgs: number; out_bytes: number }>;
}

/** The monitoring URL of a nats-server, from its command line (`-m <port>`, as startNatsServer passes it). */
export function monitorUrl(natsPid: number): string | undefined {
  const args = readFileSync(`/proc/${natsPid}/cmdline`, 'utf8').split('\0');
  const flag = args.indexOf('-m');
  const host = args[args.indexOf('-a') + 1] ?? '127.0.0.1';
  return flag >= 0 && args[flag + 1] ? `http://${host}:${args[flag + 1]}` : undefined;
}

/** The traffic of every connection whose name starts with `prefix` (the server's: "switchboard ..."), summed. */
export async function connectionTraffic(monitor: string, prefix: string): Promise<ConnectionTraffic> {
  const res = await fetch(`${monitor}/connz?limit=1024`);
  const connz = (await res.json()) as Connz;
  const total: ConnectionTraffic = { inMsgs: 0, inBytes: 0, outMsgs: 0, outBytes: 0 };
  for (const one of connz.connections.filter((connection) => connection.name?.startsWith(prefix))) {
    total.inMsgs += one.in_msgs;
    total.inBytes += one.in_bytes;
    total.outMsgs += one.out_msgs;
    total.outBytes += one.out_bytes;
  }
  return total;
}

export function trafficBetween(from: ConnectionTraffic, to: ConnectionTraffic): ConnectionTraffic {
  return {
    inMsgs: to.inMsgs - from.inMsgs,
    inBytes: to.inBytes - from.inBytes,
    outMsgs: to.outMsgs - from.outMsgs,
    outBytes: to.outBytes - from.outBytes,
  };
}

interface Jsz {
  account_details?: Array<{ stream_detail?: Array<{ name: string; consumer_detail?: Array<{ name: string; num_pending: number }> }> }>;
}

/**
 * Messages each durable consumer has not yet handed to a worker, by consumer name. The workers
 * take every message (a timer not yet due included: it is held back by a delayed nak) as soon as
 * they have a free slot, so a count above zero means the server's workers are behind.
 */
export async function consumerBacklogs(monitor: string): Promise<Map<string, number>> {
  const res = await fetch(`${monitor}/jsz?consumers=true`);
  const jsz = (await res.json()) as Jsz;
  const backlogs = new Map<string, number>();
  for (const stream of jsz.account_details?.flatMap((account) => account.stream_detail ?? []) ?? []) {
    for (const consumer of stream.consumer_detail ?? []) backlogs.set(consumer.name, consumer.num_pending);
  }
  return backlogs;
}
