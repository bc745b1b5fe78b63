import { setTimeout as sleep } from 'node:timers/promises';
import type { Bus } from '#libs/bus';
import { eventSubject } from '#libs/events';
import { latencyRun, type LatencyRun } from '../harness/latencyRun.js';
import { startStallMonitor, type Stalls } from '../harness/stallMonitor.js';
import { waitUntil } from '../harness/waitUntil.js';
import { assertAllHandled, type BenchSwitchboard } from './benchSwitchboard.js';
import { preciseNowMs, SENT_AT_FIELD, type LatencyProbe } from './probeHandler.js';
import { LATENCY_EVENT_TYPE, sampleEvent } from '../harness/sampleEvents.js';

export interface PacedSend {
  seconds: number;
  maxSendLagMs: number;
}

const encoder = new TextEncoder();

/**
 * Sends `count` events on a fixed schedule, open loop: each is sent when due, never held back
 * until the previous one is handled; each is stamped just before its publish.
 */
export async function sendPaced(publisher: Bus, count: number, rate: number, prefix: string): Promise<PacedSend> {
  const intervalMs = 1000 / rate;
  const acks: Array<Promise<unknown>> = [];
  const start = performance.now();
  let sent = 0;
  let maxSendLagMs = 0;
  while (sent < count) {
    // Timers fire about every millisecond at best: send whatever has fallen due since the last wake-up.
    const now = performance.now();
    while (sent < count && start + sent * intervalMs <= now) {
      maxSendLagMs = Math.max(maxSendLagMs, performance.now() - (start + sent * intervalMs));
      const event = sampleEvent(`${prefix}-${sent}`, sent, LATENCY_EVENT_TYPE, { [SENT_AT_FIELD]: preciseNowMs() });
      const ack = publisher.js.publish(eventSubject(event), encoder.encode(JSON.stringify(event)), { msgID: event.event_id });
      // Checked all together after the run; marked handled now so an early failure cannot crash the runner.
      ack.catch(() => undefined);
      acks.push(ack);
      sent++;
    }
    if (sent < count) await sleep(Math.max(0, start + sent * intervalMs - performance.now()));
  }
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(acks);
  return { seconds, maxSendLagMs };
}

/**
 * Latency (c): events at a fixed rate through the Switchboard; the probe handler records when the
 * dispatcher ran each one, against the publish time the event carries.
 */
export async function runLatency(
  publisher: Bus,
  sb: BenchSwitchboard,
  probe: LatencyProbe,
  options: { rate: number; seconds: number; prefix: string },
): Promise<LatencyRun> {
  const count = Math.round(options.rate * options.seconds);
  probe.reset();
  const monitor = startStallMonitor();
  let sending: PacedSend;
  let stalls: Stalls;
  try {
    sending = await sendPaced(publisher, count, options.rate, options.prefix);
    await waitUntil(`${count} probe events handled`, () => probe.latencies.length >= count, 30_000);
  } finally {
    stalls = monitor.stop();
  }
  assertAllHandled(sb);

  return latencyRun({ rate: options.rate, events: count, latencies: probe.latencies, sending, stalls });
}
