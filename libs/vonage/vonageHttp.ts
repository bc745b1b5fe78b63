import { setTimeout as sleep } from 'node:timers/promises';
import { httpPost, HttpRequestFailed, type HttpAnswer } from '#libs/http';
import type { z } from 'zod';
import { SwitchboardError, errorMessage, issuePath } from '#libs/errors';
import { createLogger, type Logger } from '#libs/logger';
import { ApplicationJwtSigner, type ApplicationCredentials } from './appJwt.js';
import { exponentialDelayMs, withJitter } from './backoff.js';
import { ProblemDetails } from './problemDetails.js';

/** Options shared by the Messages and Dispatch clients. */
export interface VonageClientOptions {
  /** `https://api.nexmo.com`, or the simulator's URL. */
  baseUrl: string;
  credentials: ApplicationCredentials;
  /** Per attempt, including reading the answer. Default 10 s. */
  timeoutMs?: number;
  /** Attempts in all, the first included. Default 4. */
  maxAttempts?: number;
  /** First retry delay, doubling on each retry. Default 500 ms. */
  baseDelayMs?: number;
  /** Cap on the retry delay. Default 8 s. */
  maxDelayMs?: number;
  logger?: Logger;
}

/** A Retry-After longer than this is cut short: a worker must not stall for minutes on one send. */
const MAX_RETRY_AFTER_MS = 60_000;

type Attempt =
  | { kind: 'answered'; res: HttpAnswer }
  | { kind: 'retry'; reason: string; status?: number; retryAfterMs?: number }
  | { kind: 'unknown'; reason: string };

function parseRetryAfter(header: string | string[] | undefined): number | undefined {
  if (typeof header !== 'string') return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isNaN(ms) ? undefined : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

function readProblem(res: HttpAnswer): ProblemDetails {
  try {
    const parsed = ProblemDetails.safeParse(JSON.parse(res.body));
    if (parsed.success) return parsed.data;
  } catch {
    // Not JSON (a proxy's HTML page, say): the status alone has to speak.
  }
  return {};
}

function describe(problem: ProblemDetails): string {
  const head = [problem.title, problem.detail].filter(Boolean).join(': ');
  const params = (problem.invalid_parameters ?? []).map((p) => `${p.name}: ${p.reason}`).join('; ');
  return [head, params].filter(Boolean).join('; ') || 'no details given';
}

/** The request went out and no answer came back: Vonage may have acted on it, so it is not simply sent again. */
function outcomeUnknown(operation: string, reason: string, details: Record<string, unknown>): SwitchboardError {
  return new SwitchboardError(
    'provider_outcome_unknown',
    `Vonage may or may not have taken the ${operation} (${reason}): it is not sent again until its webhooks have had time to say`,
    details,
  );
}

/** A 2xx means Vonage took the request: an unreadable answer must not be retried into a second send. */
function readAccepted<T>(res: HttpAnswer, accepted: z.ZodType<T>, operation: string, attempts: number): T {
  let problem: string;
  try {
    const parsed = accepted.safeParse(JSON.parse(res.body));
    if (parsed.success) return parsed.data;
    problem = parsed.error.issues.map((issue) => `${issuePath(issue.path)}: ${issue.message}`).join('; ');
  } catch (err) {
    problem = errorMessage(err);
  }
  throw outcomeUnknown(operation, `HTTP ${res.status}, but the answer is not what was expected: ${problem}`, {
    status: res.status,
    attempts,
  });
}

/**
 * POSTs JSON to Vonage with an application JWT. 5xx, 429 and network errors before the request
 * went out are retried with backoff (429 waits Retry-After when given); 401/403 and other 4xx
 * fail at once. A request that went out and got no answer (a timeout, a reset) is not retried
 * here: Vonage may have taken it (`provider_outcome_unknown`), which its caller finds out first.
 */
export class VonageHttp {
  private readonly baseUrl: string;
  private readonly signer: ApplicationJwtSigner;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly logger: Logger;

  constructor(opts: VonageClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.signer = new ApplicationJwtSigner(opts.credentials);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxAttempts = opts.maxAttempts ?? 4;
    this.baseDelayMs = opts.baseDelayMs ?? 500;
    this.maxDelayMs = opts.maxDelayMs ?? 8_000;
    this.logger = (opts.logger ?? createLogger({ name: 'vonage' })).child({ component: 'vonage' });
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new SwitchboardError('validation_failed', `maxAttempts must be a whole number of at least 1, got ${this.maxAttempts}`);
    }
  }

  /** Sends `body` to `path` and returns the 2xx answer parsed with `accepted`; `operation` names it in errors. */
  async postJson<T>(path: string, body: unknown, accepted: z.ZodType<T>, operation: string): Promise<T> {
    const url = new URL(this.baseUrl + path);
    const payload = JSON.stringify(body);
    for (let attempt = 1; ; attempt++) {
      const result = await this.attempt(url, payload, operation);
      if (result.kind === 'answered') return readAccepted(result.res, accepted, operation, attempt);
      if (result.kind === 'unknown') throw outcomeUnknown(operation, result.reason, { attempts: attempt });
      if (attempt >= this.maxAttempts) {
        throw new SwitchboardError(
          'provider_unavailable',
          `Vonage ${operation} failed after ${attempt} attempt(s), last: ${result.reason}; it will be worth trying again later`,
          { status: result.status, attempts: attempt },
        );
      }
      const delayMs = result.retryAfterMs ?? withJitter(exponentialDelayMs(attempt, this.baseDelayMs, this.maxDelayMs));
      this.logger.warn(
        { operation, path, attempt, status: result.status, delayMs: Math.round(delayMs) },
        `Vonage ${operation}: ${result.reason}, retrying`,
      );
      await sleep(delayMs);
    }
  }

  private async attempt(url: URL, payload: string, operation: string): Promise<Attempt> {
    const token = await this.signer.token();
    let res: HttpAnswer;
    try {
      res = await httpPost(url, payload, {
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
        timeoutMs: this.timeoutMs,
      });
    } catch (err) {
      const timedOut = err instanceof HttpRequestFailed && err.timedOut;
      const reason = timedOut ? `no answer within ${this.timeoutMs} ms` : `network error: ${errorMessage(err)}`;
      return err instanceof HttpRequestFailed && err.sent ? { kind: 'unknown', reason } : { kind: 'retry', reason };
    }
    if (res.status >= 200 && res.status < 300) return { kind: 'answered', res };

    const problem = readProblem(res);
    if (res.status === 429) {
      return { kind: 'retry', status: 429, reason: 'HTTP 429 rate limited', retryAfterMs: parseRetryAfter(res.headers['retry-after']) };
    }
    if (res.status >= 500) return { kind: 'retry', status: res.status, reason: `HTTP ${res.status}: ${describe(problem)}` };
    const details = { status: res.status, title: problem.title, detail: problem.detail, invalid_parameters: problem.invalid_parameters };
    if (res.status === 401 || res.status === 403) {
      throw new SwitchboardError(
        'provider_auth_failed',
        `Vonage refused the application credentials for ${operation} (HTTP ${res.status}: ${describe(problem)}); check the application id and that the private key is that application's`,
        details,
      );
    }
    throw new SwitchboardError('provider_rejected', `Vonage rejected the ${operation} (HTTP ${res.status}): ${describe(problem)}`, details);
  }
}
