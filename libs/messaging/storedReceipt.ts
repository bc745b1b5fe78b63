import type { MessageStatus } from '#libs/vonage';

/** A status webhook as a timeline keeps it. */
export interface StoredReceipt {
  status: MessageStatus;
  at: string;
  error?: Record<string, unknown>;
}

/** What a timeline keeps of a status webhook. */
export function receiptOf(webhook: { status: MessageStatus; timestamp: string; error?: Record<string, unknown> }): StoredReceipt {
  return { status: webhook.status, at: webhook.timestamp, ...(webhook.error ? { error: webhook.error } : {}) };
}
