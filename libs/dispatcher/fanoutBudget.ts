import { setTimeout as sleep } from 'node:timers/promises';
import { NatsError } from 'nats';
import { z } from 'zod';
import { STREAMS, streamSubjects, type Bus } from '#libs/bus';
import { SwitchboardError } from '#libs/errors';
import { isRevisionConflict, LruMap } from '#libs/store';

/**
 * A root event's count: the last message on `fanout.<account>.<root>`. `first_refused_seq` is the
 * stream sequence of the message that counted the first refusal; the messages after it record it,
 * since a message cannot know its own sequence.
 */
const FanoutCount = z.object({
  admitted: z.number().int().min(0),
  refused: z.number().int().min(0),
  first_refused_seq: z.number().int().min(1).optional(),
});
type FanoutCount = z.infer<typeof FanoutCount>;

interface Latest {
  /** The count message's stream sequence; 0 for a root that has caused nothing yet. */
  seq: number;
  count: FanoutCount;
}

const NOTHING_YET: Latest = { seq: 0, count: { admitted: 0, refused: 0 } };

/** One caused event, counted against its root's budget. */
export interface CountedEvent {
  account: string;
  root_event_id: string;
  event_id: string;
}

/**
 * Refused: `refused` counts the root's refusals so far; `first` is set for the root's first refused
 * event, each time it comes (a redelivery brings it again): the one its dead letter is filed for.
 */
export type FanoutDecision = { admitted: true } | { admitted: false; budget: number; refused: number; first: boolean };

/** JetStream's answer to a read of a subject that holds no message. */
const NO_MESSAGE = 10037;
/** Counts lost to another process's write before giving up (the step is then retried by redelivery). */
const MAX_TRIES = 20;
const MAX_PAUSE_MS = 50;
/** Roots whose last count this process remembers, so that counting is one publish, not a read and a publish. */
const COUNTS_KEPT = 10_000;

/** The count after one more event: the first refusal's sequence carried forward once known. */
function counted({ seq, count }: Latest, admitted: boolean): FanoutCount {
  const firstRefusedSeq = count.first_refused_seq ?? (count.refused > 0 ? seq : undefined);
  return {
    admitted: count.admitted + (admitted ? 1 : 0),
    refused: count.refused + (admitted ? 0 : 1),
    ...(firstRefusedSeq !== undefined ? { first_refused_seq: firstRefusedSeq } : {}),
  };
}

/**
 * The fan-out budget: how many events one root event may cause, every descendant at any depth
 * counted (what steps emit, and the events of the escalations they start).
 *
 * The count has to hold across a crash and across dispatcher processes, and a redelivered event
 * (a crash, a retried route) emits the same event ids again, which must not count twice. So each
 * caused event is one publish on `fanout.<account>.<root>` (the FANOUT stream keeps the last, the
 * count, a day after its last change) that is at once:
 * - a compare-and-set on the subject's last sequence: two processes never both take the last unit
 *   of a budget; the one that loses reads the count again and retries. The budget is never exceeded;
 * - deduplicated by the caused event's own id as message id, in the events' duplicate window:
 *   JetStream looks for a duplicate before it checks the sequence, so an event counted before is
 *   answered "duplicate", is not counted again, and gets its first decision (admitted when it was
 *   counted before the root's first refusal).
 * Refusals are counted too. The caller files one dead letter per root, for its first refused
 * event: when that comes again (its cause redelivered after a crash before the filing), it is
 * still the first, and filed again under the same message id; any later refusal is only counted.
 * Only events that cause something pay: a publish per caused event (and a read when another
 * process changed the count meanwhile); an event that causes nothing pays nothing.
 */
export class FanoutBudget {
  private readonly latest = new LruMap<string, Latest>(COUNTS_KEPT);
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly bus: Bus,
    /** The account's `fanout_budget` now (libs/limits). */
    private readonly budgetOf: (account: string) => number,
  ) {}

  /** Counts the event against its root's budget: admitted, or refused. */
  admit(event: CountedEvent): Promise<FanoutDecision> {
    const subject = streamSubjects.fanoutCount(event.account, event.root_event_id);
    return this.serially(subject, () => this.count(subject, event));
  }

  private async count(subject: string, event: CountedEvent): Promise<FanoutDecision> {
    for (let tries = 1; ; tries++) {
      const latest = this.latest.get(subject) ?? (await this.read(subject));
      const budget = this.budgetOf(event.account);
      const admitted = latest.count.admitted < budget;
      const next = counted(latest, admitted);
      try {
        const ack = await this.bus.js.publish(subject, JSON.stringify(next), {
          msgID: `${event.account}:${event.event_id}`,
          expect: { lastSubjectSequence: latest.seq },
        });
        if (ack.duplicate) return await this.countedBefore(subject, ack.seq, budget);
        this.latest.set(subject, { seq: ack.seq, count: next });
        return admitted ? { admitted: true } : { admitted: false, budget, refused: next.refused, first: latest.count.refused === 0 };
      } catch (err) {
        this.latest.delete(subject);
        if (!isRevisionConflict(err)) throw err;
        if (tries >= MAX_TRIES)
          throw new SwitchboardError(
            'conflict',
            `the fan-out count of root event ${event.root_event_id} is being changed by too many writers at once`,
            { tries },
            { cause: err },
          );
        await sleep(Math.random() * Math.min(MAX_PAUSE_MS, 2 ** tries));
      }
    }
  }

  /** A redelivered event, counted at `seq` before: admitted again if that was before the root's first refusal. */
  private async countedBefore(subject: string, seq: number, budget: number): Promise<FanoutDecision> {
    const latest = await this.read(subject);
    this.latest.set(subject, latest);
    const { refused, first_refused_seq } = latest.count;
    const firstRefusal = refused === 0 ? Number.POSITIVE_INFINITY : (first_refused_seq ?? latest.seq);
    return seq < firstRefusal ? { admitted: true } : { admitted: false, budget, refused, first: seq === firstRefusal };
  }

  private async read(subject: string): Promise<Latest> {
    try {
      const stored = await this.bus.jsm.streams.getMessage(STREAMS.fanout, { last_by_subj: subject });
      return { seq: stored.seq, count: FanoutCount.parse(stored.json()) };
    } catch (err) {
      if (err instanceof NatsError && err.api_error?.err_code === NO_MESSAGE) return NOTHING_YET;
      throw err;
    }
  }

  /** One count at a time per root in this process: its writes would only lose to each other. */
  private serially<T>(key: string, work: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(key) ?? Promise.resolve()).then(work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return run;
  }
}
