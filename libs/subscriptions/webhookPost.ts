import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
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

// Connections are kept open between deliveries to the same receiver: most go to a few hosts.
const AGENTS = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

/** Why the request itself failed, as a person reads it: `ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9`. */
function requestError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code && !errorMessage(err).startsWith(code) ? `${code}: ${errorMessage(err)}` : errorMessage(err);
}

function answered(status: number, location: string | undefined): Pick<PostOutcome, 'ok' | 'error'> {
  if (status >= 200 && status < 300) return { ok: true };
  if (status >= 300 && status < 400) return { ok: false, error: `redirected (HTTP ${status}) to ${location ?? '?'}: redirects are not followed` };
  return { ok: false, error: `HTTP ${status}` };
}

/**
 * POSTs a JSON body once. A 2xx is a success; a redirect is a failure (it is not followed: the
 * subscription's URL is the only place its events go); the whole exchange has a time limit. It
 * uses node:http with keep-alive rather than fetch, which costs several times the CPU per request.
 */
export function postWebhook(url: URL, body: string, headers: Record<string, string>, timeoutMs: number, lookup?: LookupFunction): Promise<PostOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    let status: number | undefined;
    let location: string | undefined;
    const excerpt: Buffer[] = [];
    let excerptBytes = 0;
    let settled = false;
    const finish = (failure?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const text = Buffer.concat(excerpt).subarray(0, EXCERPT_BYTES).toString('utf8');
      // Once the status is in, it decides: a body that breaks off or runs late does not undo a 2xx.
      const verdict = status !== undefined ? answered(status, location) : { ok: false, error: failure ?? 'no answer' };
      resolve({
        ...verdict,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
        ...(status !== undefined ? { status } : {}),
        ...(text !== '' ? { response: text } : {}),
      });
    };
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: 'POST',
        agent: AGENTS[url.protocol as keyof typeof AGENTS],
        ...(lookup ? { lookup } : {}),
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': USER_AGENT, ...headers },
      },
      (response) => {
        status = response.statusCode;
        location = response.headers.location;
        // Read the body to its end (keeping its start), so the connection can serve the next delivery.
        response.on('data', (chunk: Buffer) => {
          if (excerptBytes >= EXCERPT_BYTES) return;
          excerpt.push(chunk);
          excerptBytes += chunk.length;
        });
        response.on('end', () => finish());
        // A body cut short still leaves the status, which decides.
        response.on('close', () => finish());
      },
    );
    const timer = setTimeout(() => {
      finish(`timed out after ${timeoutMs} ms`);
      request.destroy();
    }, timeoutMs);
    request.on('error', (err) => finish(requestError(err)));
    request.end(body);
  });
}
