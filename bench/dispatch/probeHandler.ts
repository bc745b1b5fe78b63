import { z } from 'zod';
import { defineHandler, type Handler } from '#libs/dispatcher';

/** Event data field holding the publisher's clock reading, in epoch milliseconds with sub-ms precision. */
export const SENT_AT_FIELD = 'bench_sent_at_ms';

/** Epoch milliseconds with performance.now()'s resolution (Date.now() has only whole milliseconds). */
export function preciseNowMs(): number {
  return performance.timeOrigin + performance.now();
}

export interface LatencyProbe {
  handler: Handler;
  /** Publish-to-handled milliseconds, one per event handled since the last reset. */
  readonly latencies: number[];
  reset(): void;
}

/**
 * A bench-only handler (never in handlers/): it records when the dispatcher ran it, against the
 * publish time the benchmark put in event_data, so latency is observed without changing the product.
 */
export function createLatencyProbe(): LatencyProbe {
  let latencies: number[] = [];
  const handler = defineHandler({
    type: 'bench_probe',
    description: 'Benchmark only: records the time from publish to handling.',
    config: z.object({}),
    async handle({ event }) {
      const handledAt = preciseNowMs();
      const sentAt = event.event_data[SENT_AT_FIELD];
      if (typeof sentAt === 'number') latencies.push(handledAt - sentAt);
      return {};
    },
  });
  return {
    handler,
    get latencies() {
      return latencies;
    },
    reset() {
      latencies = [];
    },
  };
}
