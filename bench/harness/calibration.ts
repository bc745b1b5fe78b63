import { createHash } from 'node:crypto';
import { VumiApiEvent } from '#libs/events';
import { median } from './stats.js';

const EVENT = {
  event_id: 'evt-00000000-0000-4000-8000-000000000000',
  account_key: 'calibration',
  conversation_type: 'monitor',
  conversation_key: 'main',
  event_type: 'server_down',
  event_data: {
    message: 'payments-api down in eu-west-1',
    to: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`u${i}`, `4477009000${i}`])),
  },
  timestamp: '2026-11-30T00:00:00.000Z',
};

/** One unit of the kind of work the server does per message: a JSON round trip, a schema check, a hash. */
function unit(): number {
  const json = JSON.stringify({
    ...EVENT,
    attempts: Array.from({ length: 6 }, (_, n) => ({ n, statuses: [{ status: 'delivered', at: EVENT.timestamp }] })),
  });
  const parsed = VumiApiEvent.parse(JSON.parse(json));
  return createHash('sha256').update(json).digest()[0]! + parsed.event_type.length;
}

export interface Calibration {
  /** Microseconds per unit: the median, and the fastest and slowest of the runs. */
  medianUs: number;
  minUs: number;
  maxUs: number;
}

/**
 * How fast Node runs on this machine now: ten runs of 200 ms (lower is faster). Figures taken on
 * different days compare only next to it (the same code has taken 50 to 70 % more CPU on a slower day), and
 * its spread tells how steady the machine is (on a VM it can swing by half within seconds).
 */
export function nodeCalibration(): Calibration {
  const runs: number[] = [];
  let sink = 0;
  for (let run = 0; run < 10; run++) {
    const start = performance.now();
    let units = 0;
    while (performance.now() - start < 200) {
      for (let i = 0; i < 50; i++) sink += unit();
      units += 50;
    }
    runs.push(((performance.now() - start) * 1000) / units);
  }
  if (sink < 0) throw new Error('unreachable: keeps the work from being optimised away');
  return { medianUs: median(runs), minUs: Math.min(...runs), maxUs: Math.max(...runs) };
}

export function calibrationLine({ medianUs, minUs, maxUs }: Calibration): string {
  return `Node calibration ${medianUs.toFixed(1)} µs per unit (${minUs.toFixed(1)} to ${maxUs.toFixed(1)} over ten runs of 200 ms)`;
}
