import { setMaxListeners } from 'node:events';
import type { Logger } from '#libs/logger';
import type { ApplicationKeys } from './applicationKeys.js';
import type { MessageStore } from './messageStore.js';
import type { ScenarioBook } from './scenarioBook.js';
import type { WebhookSender } from './webhookSender.js';

export interface WebhookUrls {
  status?: string;
  inbound?: string;
}

/** Lifetime of the simulator's background work: a fresh one after each reset. */
function newLifecycle(): AbortController {
  const controller = new AbortController();
  // Every pending delay and webhook listens on it; thousands at once are normal, not a leak.
  setMaxListeners(0, controller.signal);
  return controller;
}

/** What the simulator's routes share: recorded messages, scenarios, webhook delivery, time. */
export class SimContext {
  private lifecycle = newLifecycle();

  constructor(
    readonly applications: ApplicationKeys,
    readonly store: MessageStore,
    readonly scenarios: ScenarioBook,
    readonly webhooks: WebhookSender,
    readonly urls: WebhookUrls,
    readonly timeScale: number,
    readonly logger: Logger,
  ) {}

  /** Aborts when the simulator is reset or closed; capture it when background work starts. */
  get signal(): AbortSignal {
    return this.lifecycle.signal;
  }

  scaled(ms: number): number {
    return ms * this.timeScale;
  }

  /** Lets work just started run on after the HTTP answer; a reset ends it quietly, a bug gets logged. */
  background(work: Promise<unknown>): void {
    const signal = this.signal;
    work.catch((err: unknown) => {
      if (!signal.aborted) this.logger.error({ err }, 'simulator background work failed');
    });
  }

  postStatus(body: unknown, applicationId: string | undefined, signal: AbortSignal): Promise<boolean> {
    return this.post(this.urls.status, body, applicationId, signal);
  }

  postInbound(body: unknown, applicationId: string | undefined, signal: AbortSignal): Promise<boolean> {
    return this.post(this.urls.inbound, body, applicationId, signal);
  }

  /** Stops all background work and forgets messages and scenarios. */
  reset(): void {
    this.lifecycle.abort();
    this.lifecycle = newLifecycle();
    this.store.clear();
    this.scenarios.clear();
  }

  close(): void {
    this.lifecycle.abort();
    this.webhooks.close();
  }

  private post(url: string | undefined, body: unknown, applicationId: string | undefined, signal: AbortSignal): Promise<boolean> {
    return url === undefined ? Promise.resolve(false) : this.webhooks.post(url, body, { signal, applicationId });
  }
}
