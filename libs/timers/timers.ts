import type { JsMsg } from 'nats';
import { z } from 'zod';
import { CONSUMERS, jsonOrUndefined, nakAfter, startDurableWorker, STREAMS, type Bus, type DurableWorker } from '#libs/bus';
import type { PoisonPolicy } from '#libs/deadletters';
import type { Logger } from '#libs/logger';

const TimerMessage = z.object({ due_at: z.number(), payload: z.unknown() });
/** What a timer is about, as its payload names it by convention (an escalation's, a hook's). */
const TimerAbout = z.object({ account_key: z.string(), id: z.string() }).partial();
const decoder = new TextDecoder();

/** What a handler is told of the timer besides its payload. */
export interface FiredTimer {
  /** When it was due (epoch ms). */
  dueAt: number;
}

/** Handles a due timer; answering a time (epoch ms) holds the same timer back until then, instead of settling it. */
export type TimerHandler = (payload: unknown, timer: FiredTimer) => Promise<number | void>;

export interface TimerWorkerOptions {
  /** Handlers by timer kind. */
  handlers: Readonly<Record<string, TimerHandler>>;
  concurrency: number;
  ackWaitMs: number;
  log: Logger;
  /** Without it, a handler that keeps failing is retried every second for ever. */
  poison?: PoisonPolicy;
}

/** A NATS subject token made of the key's characters that are safe in one. */
function subjectToken(key: string): string {
  return key.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** The subject a timer of `kind` under `key` is stored on. */
export function timerSubject(kind: string, key: string): string {
  return `timers.${kind}.${subjectToken(key)}`;
}

/**
 * Durable timers on the TIMERS stream. A timer is a message; its consumer holds it back with a
 * delayed negative ack until it is due, then hands it to whichever worker is free. Timers live in
 * file storage, so they survive a restart of any worker and of the NATS server. Handlers must
 * check the state they act on: a timer may fire late, or twice. A handler that throws on every
 * firing is dead-lettered after its attempts (a NATS outage excepted: that is waited out).
 */
export class Timers {
  constructor(private readonly bus: Bus) {}

  /** Schedules a timer; the same kind and key scheduled twice within the duplicate window is stored once. */
  async schedule(kind: string, key: string, dueAt: number, payload: unknown): Promise<void> {
    await this.bus.js.publish(timerSubject(kind, key), JSON.stringify({ due_at: dueAt, payload }), {
      msgID: `${kind}:${key}`,
    });
  }

  async start(options: TimerWorkerOptions): Promise<DurableWorker> {
    const { poison } = options;
    return startDurableWorker(
      this.bus,
      // Every pending timer is an unacknowledged message: the limit is the number of timers in flight.
      { stream: STREAMS.timers, name: CONSUMERS.timers, filter: 'timers.>', ackWaitMs: options.ackWaitMs, maxAckPending: 1_000_000 },
      {
        concurrency: options.concurrency,
        handle: (msg) => this.fire(msg, options),
        onRetry: (err, msg, retry) =>
          options.log.error(
            { err, subject: msg.subject, attempt: retry.attempt, transient: retry.transient, retry_in_ms: retry.inMs },
            'timer handler failed: retrying',
          ),
        failures: poison && {
          maxAttempts: poison.maxAttempts,
          delaysMs: poison.delaysMs,
          // A timer is delivered again while it is held back until due: only failed firings are attempts.
          count: 'failures',
          deadLetter: (msg, err, attempts) => this.deadLetter(msg, err, attempts, poison, options.log),
        },
      },
    );
  }

  /** Filed under the timer's account; its id is logged as `<kind>_id` (`escalation_id`). */
  private async deadLetter(msg: JsMsg, err: unknown, attempts: number, poison: PoisonPolicy, log: Logger): Promise<void> {
    const kind = msg.subject.split('.')[1] ?? '';
    const about = TimerAbout.safeParse(TimerMessage.safeParse(jsonOrUndefined(msg.data)).data?.payload);
    const { account_key, id } = about.success ? about.data : {};
    await poison.deadLetters.addPoison({ consumer: CONSUMERS.timers, account: account_key, msg, error: err, attempts });
    log.error(
      { err, subject: msg.subject, timer: kind, account_key, [`${kind}_id`]: id, attempts },
      'timer failed on every firing: dead-lettered',
    );
  }

  private async fire(msg: JsMsg, { handlers, log }: TimerWorkerOptions): Promise<void> {
    const kind = msg.subject.split('.')[1] ?? '';
    let parsed: z.infer<typeof TimerMessage>;
    try {
      parsed = TimerMessage.parse(JSON.parse(decoder.decode(msg.data)));
    } catch {
      log.error({ subject: msg.subject, seq: msg.seq }, 'timer is not valid: dropped');
      msg.term();
      return;
    }
    const wait = parsed.due_at - Date.now();
    if (wait > 0) {
      nakAfter(msg, wait);
      return;
    }
    const handler = handlers[kind];
    if (!handler) {
      log.error({ subject: msg.subject, kind }, 'no handler for this kind of timer: dropped');
      msg.term();
      return;
    }
    const later = await handler(parsed.payload, { dueAt: parsed.due_at });
    if (typeof later === 'number') {
      // Held back even when that time has passed meanwhile: acknowledging would settle a timer its handler did not.
      nakAfter(msg, later - Date.now());
      return;
    }
    msg.ack();
  }
}
