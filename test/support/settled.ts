import { CONSUMERS, STREAMS, type Bus } from '#libs/bus';
import { timerSubject } from '#libs/timers';
import { waitFor } from './waitFor.js';

/** The stream each of the server's durable consumers reads. */
const READS = { dispatcher: STREAMS.events, timers: STREAMS.timers, provider: STREAMS.provider, deliveries: STREAMS.deliveries } as const;
export type Durable = keyof typeof READS;

/**
 * Waits until each named durable consumer holds nothing (no message to deliver, none awaiting an
 * ack or a redelivery) twice in a row, having delivered nothing new in between: everything
 * published so far has been handled, and so has what handling it published, which reaches the
 * stream before the message that caused it is acknowledged. What a test waits on before it
 * asserts that something did not happen. TIMERS holds timers not yet due, so it is left out
 * unless asked for.
 */
export async function consumersIdle(bus: Bus, durables: readonly Durable[] = ['dispatcher'], timeoutMs = 15_000): Promise<void> {
  let previous: string | undefined;
  await waitFor(
    `${durables.join(', ')} to hold nothing`,
    async () => {
      const infos = await Promise.all(durables.map((durable) => bus.jsm.consumers.info(READS[durable], CONSUMERS[durable])));
      const idle = infos.every((info) => info.num_pending === 0 && info.num_ack_pending === 0 && info.num_redelivered === 0);
      const delivered = infos.map((info) => info.delivered.stream_seq).join(',');
      const settled = idle && delivered === previous;
      previous = idle ? delivered : undefined;
      return settled;
    },
    timeoutMs,
  );
}

/**
 * Waits until TIMERS holds no timer of `kind` whose key starts with `keyPrefix` (an account's,
 * say): each has come due, fired and been handled, as TIMERS is a work queue. What a test waits
 * on before asserting that a deadline passed without consequence.
 */
export async function timersDone(bus: Bus, kind: string, keyPrefix: string, timeoutMs = 15_000): Promise<void> {
  const prefix = timerSubject(kind, keyPrefix);
  await waitFor(
    `the ${kind} timers of ${keyPrefix} to be done`,
    async () => {
      const { state } = await bus.jsm.streams.info(STREAMS.timers, { subjects_filter: `timers.${kind}.>` });
      return Object.keys(state.subjects ?? {}).every((subject) => !subject.startsWith(prefix));
    },
    timeoutMs,
  );
}
