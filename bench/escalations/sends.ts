import type { SimMessage } from '#libs/vonage-sim';

export interface SendsTimeline {
  count: number;
  firstAt: number;
  lastAt: number;
  /** The most messages accepted in any `windowS` seconds, per second. */
  peakPerSecond: number;
  windowS: number;
}

/** The provider's view of the run: every message it accepted, and when. */
export function sendsTimeline(messages: readonly SimMessage[], windowS = 10): SendsTimeline {
  const times = messages.map((message) => Date.parse(message.accepted_at)).sort((a, b) => a - b);
  let peak = 0;
  for (let head = 0, tail = 0; head < times.length; head++) {
    while (times[head]! - times[tail]! >= windowS * 1000) tail++;
    peak = Math.max(peak, head - tail + 1);
  }
  return { count: times.length, firstAt: times[0] ?? 0, lastAt: times.at(-1) ?? 0, peakPerSecond: peak / windowS, windowS };
}
