import type { LookupFunction } from 'node:net';
import { errorMessage } from '#libs/errors';
import { httpPost, HttpRequestFailed } from '#libs/http';

/** What one POST came to. */
export interface PostOutcome {
  ok: boolean;
  duration_ms: number;
  /** The receiver's status, when it answered. */
  status?: number;
  /** The start of the response body. */
  response?: string;
  error?: string;
}

/** How much of a response body is kept with the attempt: enough to see an error message. */
const EXCERPT_BYTES = 512;

const USER_AGENT = 'Switchboard-Webhooks/1';

function answered(status: number, location: string | undefined): Pick<PostOutcome, 'ok' | 'error'> {
  if (status >= 200 && status < 300) return { ok: true };
  if (status >= 300 && status < 400)
    return { ok: false, error: `redirected (HTTP ${status}) to ${location ?? '?'}: redirects are not followed` };
  return { ok: false, error: `HTTP ${status}` };
}

/**
 * POSTs a JSON body once. A 2xx is a success; a redirect is a failure (it is not followed: the
 * subscription's URL is the only place its events go); the whole exchange has a time limit.
 */
export async function postWebhook(
  url: URL,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  lookup?: LookupFunction,
): Promise<PostOutcome> {
  const started = performance.now();
  const duration_ms = () => Math.round((performance.now() - started) * 10) / 10;
  try {
    const answer = await httpPost(url, body, {
      headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...headers },
      timeoutMs,
      maxBodyBytes: EXCERPT_BYTES,
      lookup,
    });
    const location = answer.headers.location;
    return {
      ...answered(answer.status, typeof location === 'string' ? location : undefined),
      duration_ms: duration_ms(),
      status: answer.status,
      ...(answer.body !== '' ? { response: answer.body } : {}),
    };
  } catch (err) {
    return {
      ok: false,
      duration_ms: duration_ms(),
      error: err instanceof HttpRequestFailed && err.timedOut ? `timed out after ${timeoutMs} ms` : errorMessage(err),
    };
  }
}
