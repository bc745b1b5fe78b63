import { createHash } from 'node:crypto';
import type { JsMsg } from 'nats';
import { z } from 'zod';
import { CONSUMERS, jsonOrUndefined, nakAfter, startDurableWorker, STREAMS, type Bus, type DurableWorker } from '#libs/bus';
import type { PoisonPolicy } from '#libs/deadletters';
import { Token } from '#libs/events';
import type { Logger } from '#libs/logger';
import { isSwitchboardError } from '#libs/errors';
import {
  DispatchFinalReport,
  DispatchMessageStatusWebhook,
  InboundMessageWebhook,
  MessageStatusWebhook,
  normalizeAddress,
} from '#libs/vonage';
import { providerFilings, type Filing } from './providerFilings.js';
import { RecentStatuses } from './recentStatuses.js';
import { receiptOf } from './storedReceipt.js';
import { WebhookLag } from './webhookLag.js';

const UNKNOWN_ACCOUNT = '_unknown';

/**
 * Reacts to provider webhooks once they are safely stored; the escalation engine is one. A
 * listener that throws `not_found` has not yet recorded what the webhook is about (a webhook can
 * beat our own write): the webhook is offered again a little later. A webhook a listener fails on
 * every time is dead-lettered after its attempts (a NATS outage excepted: that is waited out).
 */
export interface ProviderListener {
  onStatus?(account: string, webhook: MessageStatusWebhook): Promise<void>;
  onInbound?(webhook: InboundMessageWebhook): Promise<void>;
  onDispatchStatus?(webhook: DispatchMessageStatusWebhook): Promise<void>;
  onDispatchReport?(report: DispatchFinalReport): Promise<void>;
}

/** How many times a webhook nobody recognises yet is offered again (about a minute) before it is dead-lettered. */
const MAX_NOT_YET_KNOWN = 60;

/** What a stored webhook names, for the log line of its dead letter. */
const WebhookIds = z.object({ message_uuid: z.string(), client_ref: z.string() }).partial();

export interface ProviderWorkerOptions {
  ackWaitMs: number;
  poison: PoisonPolicy;
}

/** The sender of an inbound message as our sends address it (E.164 digits for numbers). */
export function normalizedFrom(webhook: InboundMessageWebhook): string {
  const from = normalizeAddress(webhook.channel, webhook.from);
  return from.ok ? from.value : webhook.from;
}

/**
 * Our sends carry `<account>` or `<account>:<ref of the sender>` in client_ref (at most 100
 * characters), which is how a receipt finds its account and its work without a lookup.
 */
export function clientRef(account: string, ref?: string): string {
  return ref ? `${account}:${ref}` : account;
}

export function parseClientRef(value: string | undefined): { account: string; ref: string | undefined } {
  const [account = '', ...rest] = (value ?? '').split(':');
  return Token.safeParse(account).success
    ? { account, ref: rest.length > 0 ? rest.join(':') : undefined }
    : { account: UNKNOWN_ACCOUNT, ref: undefined };
}

/**
 * Provider webhooks are stored before the HTTP 200 (Vonage retries otherwise): on PROVIDER, whose
 * durable consumer hands them to the listeners, or, for statuses no listener acts on, on RECEIPTS
 * (see providerFilings). Each is filed under a subject of its own (message and status, workflow,
 * sender) that StoredReceipts reads timelines from.
 */
export class ProviderInbox {
  private worker: DurableWorker | undefined;
  /** How late webhooks are being stored, as this process's worker sees them. */
  readonly lag = new WebhookLag();
  /** The statuses this process filed lately, for StoredReceipts. */
  readonly filed = new RecentStatuses();

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
  ) {}

  async storeStatus(webhook: MessageStatusWebhook, rawBody: string): Promise<void> {
    const { account, ref } = parseClientRef(webhook.client_ref);
    const filed = this.fileStatus(providerFilings.status(account, webhook.message_uuid, webhook.status), webhook, rawBody);
    // The provider's first word on a message it took (`submitted`, or `rejected` for one refused at
    // once) is filed by our send's ref too: the evidence that a send cut short went out.
    const first = webhook.status === 'submitted' || webhook.status === 'rejected';
    const accepted = first && ref !== undefined ? this.fileAcceptedSend(account, ref, webhook.message_uuid) : undefined;
    await Promise.all([filed, accepted]);
  }

  private async fileAcceptedSend(account: string, ref: string, messageUuid: string): Promise<void> {
    const { subject } = providerFilings.acceptedSend(account, ref);
    await this.bus.js.publish(subject, JSON.stringify({ message_uuid: messageUuid }), { msgID: `${subject}:${messageUuid}` });
  }

  /** A Dispatch v0.1 message status, filed under its workflow. */
  async storeDispatchStatus(webhook: DispatchMessageStatusWebhook, rawBody: string): Promise<void> {
    await this.fileStatus(
      providerFilings.dispatchStatus(webhook._links.workflow.dispatch_uuid, webhook.message_uuid, webhook.status),
      webhook,
      rawBody,
    );
  }

  async storeDispatchReport(report: DispatchFinalReport, rawBody: string): Promise<void> {
    await this.file(providerFilings.dispatchReport(report.dispatch_uuid), rawBody);
  }

  async storeInbound(webhook: InboundMessageWebhook, rawBody: string): Promise<void> {
    await this.file(providerFilings.inbound(webhook.channel, normalizedFrom(webhook)), rawBody);
  }

  /** Remembered once stored: never a status the stream does not have. */
  private async fileStatus(filing: Filing, webhook: MessageStatusWebhook | DispatchMessageStatusWebhook, rawBody: string): Promise<void> {
    await this.file(filing, rawBody);
    this.filed.remember(filing.subject, receiptOf(webhook));
  }

  /** A webhook delivered twice has the same body: its hash dedupes it on the stream. */
  private async file(filing: Filing, rawBody: string): Promise<void> {
    await this.bus.js.publish(filing.subject, rawBody, { msgID: createHash('sha256').update(rawBody).digest('hex') });
  }

  /**
   * Tells `lag` how long ago the last webhook was stored (by any process), so that after an outage
   * expiries and resends wait for what the provider retries (see `WebhookLag.expectBacklog`).
   * `firstRetryMs`: the provider's first retry of a webhook it could not deliver.
   */
  async expectBacklog(firstRetryMs: number): Promise<void> {
    const lastStored = await Promise.all(
      [STREAMS.provider, STREAMS.receipts].map(async (stream) => Date.parse((await this.bus.jsm.streams.info(stream)).state.last_ts)),
    );
    const last = Math.max(...lastStored.filter((ms) => ms > 0));
    if (Number.isFinite(last)) this.lag.expectBacklog(last, firstRetryMs);
  }

  async start(listeners: ProviderListener[], { ackWaitMs, poison }: ProviderWorkerOptions): Promise<void> {
    this.worker = await startDurableWorker(
      this.bus,
      { stream: STREAMS.provider, name: CONSUMERS.provider, ackWaitMs, maxAckPending: 10_000 },
      {
        concurrency: 64,
        handle: async (msg) => {
          try {
            await this.apply(msg, listeners);
          } catch (err) {
            if (!isSwitchboardError(err, 'not_found') || msg.info.deliveryCount >= MAX_NOT_YET_KNOWN) throw err;
            this.log.debug({ subject: msg.subject, reason: err.message }, 'webhook not yet known: offered again');
            nakAfter(msg, 1000);
            return;
          }
          msg.ack();
        },
        onRetry: (err, msg, retry) =>
          this.log.error(
            { err, subject: msg.subject, attempt: retry.attempt, transient: retry.transient, retry_in_ms: retry.inMs },
            'provider webhook not applied: redelivering',
          ),
        // Every delivery counts, those offered again while not yet known included: they were attempts too.
        failures: {
          maxAttempts: poison.maxAttempts,
          delaysMs: poison.delaysMs,
          count: 'deliveries',
          deadLetter: (msg, err, attempts) => this.deadLetter(msg, err, attempts, poison),
        },
      },
    );
  }

  /** Filed under the account of a status (its subject names it); inbound and Dispatch webhooks name none. */
  private async deadLetter(msg: JsMsg, err: unknown, attempts: number, poison: PoisonPolicy): Promise<void> {
    const [, kind, scope] = msg.subject.split('.');
    const account = kind === 'status' && scope !== UNKNOWN_ACCOUNT ? scope : undefined;
    const ids = WebhookIds.safeParse(jsonOrUndefined(msg.data));
    await poison.deadLetters.addPoison({ consumer: CONSUMERS.provider, account, msg, error: err, attempts });
    this.log.error(
      { err, subject: msg.subject, account_key: account, ...(ids.success ? ids.data : {}), attempts },
      'provider webhook failed on every attempt: dead-lettered',
    );
  }

  async stop(): Promise<void> {
    await this.worker?.stop();
  }

  /** Listeners are told again when a webhook is redelivered: they must be idempotent. */
  private async apply(msg: JsMsg, listeners: ProviderListener[]): Promise<void> {
    const [, kind, scope = UNKNOWN_ACCOUNT] = msg.subject.split('.');
    const body = jsonOrUndefined(msg.data);
    const status = kind === 'status' ? MessageStatusWebhook.safeParse(body) : undefined;
    const inbound = kind === 'inbound' ? InboundMessageWebhook.safeParse(body) : undefined;
    const dispatchStatus = kind === 'dispatch' ? DispatchMessageStatusWebhook.safeParse(body) : undefined;
    const dispatchReport = kind === 'dispatch' ? DispatchFinalReport.safeParse(body) : undefined;
    const timestamp = [dispatchStatus, dispatchReport, status, inbound].find((parsed) => parsed?.success)?.data?.timestamp;
    if (timestamp) this.lag.observe(timestamp, msg.info.timestampNanos / 1e6);
    if (dispatchStatus?.success) {
      for (const listener of listeners) await listener.onDispatchStatus?.(dispatchStatus.data);
    } else if (dispatchReport?.success) {
      for (const listener of listeners) await listener.onDispatchReport?.(dispatchReport.data);
    } else if (status?.success) {
      const webhook = status.data;
      this.log.debug({ message_uuid: webhook.message_uuid, status: webhook.status, account_key: scope }, 'receipt');
      for (const listener of listeners) await listener.onStatus?.(scope, webhook);
    } else if (inbound?.success) {
      const webhook = inbound.data;
      this.log.info({ channel: webhook.channel, message_uuid: webhook.message_uuid }, 'inbound message');
      for (const listener of listeners) await listener.onInbound?.(webhook);
    } else {
      // Only validated webhooks are stored; anything else would loop forever, so it is logged and dropped.
      this.log.error({ subject: msg.subject, seq: msg.seq }, 'stored provider webhook is not valid: skipped');
    }
  }
}
