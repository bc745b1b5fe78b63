import { stableId } from '#libs/events';
import type { Attempt, Condition, Escalation } from './model.js';

/**
 * How an escalation is named, and how its sends and receipts name it: the one owner of the
 * `esc-` prefix and of what a send carries to Vonage and back in `client_ref`.
 */
const ID_PREFIX = 'esc-';

/** The id of the escalation a trigger starts: a redelivered trigger starts no second one. */
export function escalationId(eventId: string, routeId: string, step: number): string {
  return `${ID_PREFIX}${stableId(eventId, routeId, step).slice(0, 24)}`;
}

/** The work a message belongs to, for its idempotent send. */
export function sendRef(esc: Escalation, attempt: Attempt): string {
  return `escalation:${esc.id}:${attempt.n}`;
}

/**
 * What an escalation's receipts carry back in client_ref: the escalation (its id without the
 * prefix), the attempt and its condition, short enough to fit Vonage's 100 characters beside
 * the longest account key.
 */
const RECEIPT_REF = /^e\.([A-Za-z0-9_-]+)\.(\d+)\.([rd])$/;

export function receiptRef(esc: Escalation, attempt: Attempt): string {
  return `e.${esc.id.slice(ID_PREFIX.length)}.${attempt.n}.${attempt.condition === 'read' ? 'r' : 'd'}`;
}

/** The escalation, attempt and condition a receipt's ref names; undefined for a ref of anything else. */
export function parseReceiptRef(ref: string | undefined): { id: string; attempt: number; condition: Condition } | undefined {
  const match = RECEIPT_REF.exec(ref ?? '');
  if (!match) return undefined;
  const [, id, n, condition] = match;
  return { id: `${ID_PREFIX}${id}`, attempt: Number(n), condition: condition === 'd' ? 'delivered' : 'read' };
}
