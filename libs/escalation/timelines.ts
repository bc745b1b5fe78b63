import type { StoredReceipts } from '#libs/messaging';
import { MESSAGE_STATUSES, type MessageStatus } from '#libs/vonage';
import type { Attempt, Escalation } from './model.js';

/**
 * Whether a receipt can change an escalation's course: a read, a delivered where that is the
 * condition, a failure. The rest (submitted, a delivered short of a read) only add to the
 * message's timeline, which the message store keeps: the escalation is not written for them.
 */
export function isDecisive(status: MessageStatus, condition: string): boolean {
  return status !== 'submitted' && (status !== 'delivered' || condition === 'delivered');
}

/** Two timelines of one message as one, each receipt once, in the provider's time order. */
function mergedTimeline(a: Attempt['statuses'], b: ReadonlyArray<{ status: MessageStatus; at: string }>): Attempt['statuses'] {
  const all = new Map([...a, ...b].map((receipt) => [`${receipt.status}@${receipt.at}`, { status: receipt.status, at: receipt.at }]));
  return [...all.values()].sort((x, y) => x.at.localeCompare(y.at));
}

/**
 * The read side: an escalation holds its attempts' decisive receipts only; the API and the
 * outcome events show each attempt's whole timeline, the rest read from the stored receipts.
 */
export class Timelines {
  constructor(private readonly stored: StoredReceipts) {}

  /** The escalation with each attempt's whole status timeline. */
  async of(esc: Escalation): Promise<Escalation> {
    const attempts = await Promise.all(
      esc.attempts.map(async (attempt) => {
        // A workflow's statuses all go into the escalation as they come.
        if (!attempt.message_uuid || attempt.dispatch_uuid) return attempt;
        const others = MESSAGE_STATUSES.filter((status) => !isDecisive(status, attempt.condition));
        const receipts = await this.stored.statuses(esc.account_key, attempt.message_uuid, others);
        return { ...attempt, statuses: mergedTimeline(attempt.statuses, receipts) };
      }),
    );
    return { ...esc, attempts };
  }

  /** An event's data with the whole timeline of each attempt it lists (outcome events list them all). */
  async inEventData(esc: Escalation, eventData: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (!Array.isArray(eventData.attempts)) return eventData;
    const full = await this.of(esc);
    const timelines = new Map(full.attempts.map((attempt) => [attempt.n, attempt.statuses]));
    const attempts = (eventData.attempts as Array<{ n: number }>).map((attempt) => ({
      ...attempt,
      statuses: timelines.get(attempt.n) ?? [],
    }));
    return { ...eventData, attempts };
  }
}
