import { Agent as HttpAgent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '#libs/errors';
import type { Logger } from '#libs/logger';
import { exponentialDelayMs, signWebhook } from '#libs/vonage';

export interface WebhookSenderOptions {
  /** When set, every webhook carries `Authorization: Bearer <signed JWT>`. */
  signatureSecret?: string;
  apiKey: string;
  /** Multiplies the retry delays. */
  timeScale: number;
  logger: Logger;
}

/** Like Vonage: retry from 5 s, doubling up to 15 min, for 24 h (all of it scaled by the time scale). */
const FIRST_RETRY_MS = 5_000;
const MAX_RETRY_MS = 15 * 60_000;
const RETRY_FOR_MS = 24 * 3600_000;
const TIMEOUT_MS = 5_000;
/** Bounds sockets to a slow receiver (the agent queues the rest), and memory when one is down under load. */
const MAX_SOCKETS = 64;
const MAX_PENDING = 20_000;

type Attempt = { ok: true } | { ok: false; retry: boolean; reason: string };

/**
 * Posts webhooks over keep-alive connections, retrying 429, 5xx and network errors with backoff.
 * node:http rather than fetch: at thousands of webhooks a second fetch costs about four times the CPU.
 */
export class WebhookSender {
  private pending = 0;
  private dropped = 0;
  private retried = 0;
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS });

  constructor(private readonly opts: WebhookSenderOptions) {}

  /** Webhooks accepted and not yet delivered or given up. */
  get pendingCount(): number {
    return this.pending;
  }

  /** Tries after a first one failed (timeout, network error, 429, 5xx): such webhooks arrive out of order. */
  get retryCount(): number {
    return this.retried;
  }

  /**
   * Resolves true once the receiver answered 2xx, false when it refused or the sender gave up;
   * rejects only when `signal` aborts (the simulator was reset or closed).
   */
  async post(url: string, body: unknown, ctx: { signal: AbortSignal; applicationId?: string }): Promise<boolean> {
    if (this.pending >= MAX_PENDING) {
      if (this.dropped++ % 1000 === 0) {
        this.opts.logger.warn({ pending: this.pending, dropped: this.dropped }, 'webhook receiver is not keeping up: dropping webhooks');
      }
      return false;
    }
    this.pending++;
    try {
      return await this.deliver(new URL(url), JSON.stringify(body), ctx);
    } finally {
      this.pending--;
    }
  }

  /** Closes the idle keep-alive connections. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async deliver(url: URL, rawBody: string, ctx: { signal: AbortSignal; applicationId?: string }): Promise<boolean> {
    const giveUpAt = Date.now() + RETRY_FOR_MS * this.opts.timeScale;
    for (let tries = 1; ; tries++) {
      const result = await this.attempt(url, rawBody, ctx);
      if (result.ok) return true;
      if (!result.retry || Date.now() >= giveUpAt) {
        this.opts.logger.warn({ url: url.href, tries, reason: result.reason }, 'webhook not delivered, giving up');
        return false;
      }
      this.retried++;
      await sleep(exponentialDelayMs(tries, FIRST_RETRY_MS, MAX_RETRY_MS) * this.opts.timeScale, undefined, { signal: ctx.signal });
    }
  }

  private async attempt(url: URL, rawBody: string, ctx: { signal: AbortSignal; applicationId?: string }): Promise<Attempt> {
    ctx.signal.throwIfAborted();
    const headers: OutgoingHttpHeaders = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(rawBody) };
    if (this.opts.signatureSecret) {
      // Signed per try, as Vonage does, so a late retry still has a fresh iat.
      const token = await signWebhook(rawBody, this.opts.signatureSecret, { applicationId: ctx.applicationId, apiKey: this.opts.apiKey });
      headers.authorization = `Bearer ${token}`;
    }
    try {
      const status = await this.send(url, rawBody, headers, ctx.signal);
      if (status >= 200 && status < 300) return { ok: true };
      return { ok: false, retry: status === 429 || status >= 500, reason: `HTTP ${status}` };
    } catch (err) {
      ctx.signal.throwIfAborted();
      return { ok: false, retry: true, reason: errorMessage(err) };
    }
  }

  /** One POST; resolves with the status once the answer was read to the end, freeing the connection. */
  private send(url: URL, rawBody: string, headers: OutgoingHttpHeaders, signal: AbortSignal): Promise<number> {
    const https = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(
        url,
        { method: 'POST', headers, agent: https ? this.httpsAgent : this.httpAgent, timeout: TIMEOUT_MS, signal },
        (res) => {
          res.on('error', reject);
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.resume();
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(rawBody);
    });
  }
}
