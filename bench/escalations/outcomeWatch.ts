import type { Subscription } from 'nats';
import type { Bus } from '#libs/bus';
import { BENCH_ACCOUNT } from './routes.js';

export const OUTCOME_TYPES = ['escalation_read', 'escalation_exhausted'] as const;

export interface OutcomeWatch {
  /** Escalations with an outcome seen so far. */
  readonly ended: number;
  /** Outcome messages seen beyond the first per escalation: re-publishes, which the stream's duplicate window should absorb. */
  readonly repeats: number;
  /** Epoch ms of the latest first outcome. */
  readonly lastAt: number;
  stop(): void;
}

const decoder = new TextDecoder();

/**
 * Follows outcome events as they are published (a plain subscription, as a bus subscriber
 * would), to show progress and know when the run is over. The verdict comes from the stream
 * and the bucket afterwards, not from this.
 */
export function watchOutcomes(bus: Bus): OutcomeWatch {
  const seen = new Set<string>();
  let repeats = 0;
  let lastAt = 0;
  const subs: Subscription[] = OUTCOME_TYPES.map((type) =>
    bus.nc.subscribe(`events.${BENCH_ACCOUNT}.*.*.${type}`, {
      callback: (_err, msg) => {
        const id = (JSON.parse(decoder.decode(msg.data)) as { event_data?: { escalation_id?: string } }).event_data?.escalation_id ?? '';
        if (seen.has(id)) repeats++;
        else {
          seen.add(id);
          lastAt = Date.now();
        }
      },
    }),
  );
  return {
    get ended() {
      return seen.size;
    },
    get repeats() {
      return repeats;
    },
    get lastAt() {
      return lastAt;
    },
    stop: () => subs.forEach((sub) => sub.unsubscribe()),
  };
}
