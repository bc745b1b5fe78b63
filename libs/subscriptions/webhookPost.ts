import { errorMessage } from '../errors/index.js';

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

async function excerpt(body: ReadableStream<Uint8Array> | null): Promise<string | undefined> {
  if (!body) return undefined;
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // The body broke off (or the timeout fired while reading): keep what came.
  } finally {
    // Do not wait for (or download) the rest of a large body.
    void reader.cancel().catch(() => undefined);
  }
  const text = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8');
  return text === '' ? undefined : text;
}

/** Why the request itself failed, as a person reads it: `ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9`. */
function requestError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `timed out after ${timeoutMs} ms`;
  const cause = err instanceof Error ? (err.cause as NodeJS.ErrnoException | undefined) : undefined;
  if (cause?.code) return `${cause.code}: ${cause.message}`;
  return errorMessage(cause ?? err);
}

/**
 * POSTs a JSON body once. A 2xx is a success; a redirect is a failure (it is not followed: the
 * subscription's URL is the only place its events go); the whole exchange has a time limit.
 */
export async function postWebhook(url: URL, body: string, headers: Record<string, string>, timeoutMs: number): Promise<PostOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  try {
    const response = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...headers },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await excerpt(response.body);
    const ok = response.status >= 200 && response.status < 300;
    const redirect = response.status >= 300 && response.status < 400;
    return {
      ok,
      duration_ms: elapsed(),
      status: response.status,
      ...(text !== undefined ? { response: text } : {}),
      ...(ok ? {} : { error: redirect ? `redirected (HTTP ${response.status}) to ${response.headers.get('location') ?? '?'}: redirects are not followed` : `HTTP ${response.status}` }),
    };
  } catch (err) {
    return { ok: false, duration_ms: elapsed(), error: requestError(err, timeoutMs) };
  }
}
