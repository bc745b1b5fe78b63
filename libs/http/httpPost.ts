import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

/** What a server answered: its status, headers and the start (or all) of its body. */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body broke off, ran past the time limit, or was longer than kept. */
  partial: boolean;
}

export interface HttpPostOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  /** Bytes of the body to keep; the rest is read and dropped, so the connection can be reused. */
  maxBodyBytes?: number;
  /** Resolves host names for the connection (the SSRF guard uses it). */
  lookup?: LookupFunction;
}

/** A request that got no answer at all: refused, reset, timed out before the status. */
export class HttpRequestFailed extends Error {
  override readonly name = 'HttpRequestFailed';

  constructor(
    message: string,
    readonly timedOut: boolean,
    /** The whole request went out before it failed: the server may have acted on it. */
    readonly sent: boolean,
  ) {
    super(message);
  }
}

// Connections stay open between requests: most go to a few hosts (Vonage, the usual receivers).
const AGENTS = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

function failure(err: unknown, sent: boolean): HttpRequestFailed {
  const { code, message } = err as NodeJS.ErrnoException;
  return new HttpRequestFailed(code && !message.startsWith(code) ? `${code}: ${message}` : message, false, sent);
}

/**
 * POSTs a body once with node:http and keep-alive: fetch costs several times the CPU per request,
 * which shows at hundreds of sends and deliveries a second. Redirects are not followed. Once the
 * status is in, it decides: a body that breaks off or runs late still resolves (`partial`).
 */
export function httpPost(url: URL, body: string, options: HttpPostOptions): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let answer: Omit<HttpAnswer, 'body' | 'partial'> | undefined;
    const chunks: Buffer[] = [];
    let kept = 0;
    let overflow = false;
    let settled = false;
    let sent = false;
    const finish = (complete: boolean, err?: HttpRequestFailed) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!answer) return reject(err ?? new HttpRequestFailed('no answer', false, sent));
      resolve({ ...answer, body: Buffer.concat(chunks).toString('utf8'), partial: !complete || overflow });
    };
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: 'POST',
        agent: AGENTS[url.protocol as keyof typeof AGENTS],
        headers: { 'content-length': Buffer.byteLength(body), ...options.headers },
        ...(options.lookup ? { lookup: options.lookup } : {}),
      },
      (response) => {
        answer = { status: response.statusCode ?? 0, headers: response.headers };
        response.on('data', (chunk: Buffer) => {
          const room = (options.maxBodyBytes ?? Infinity) - kept;
          if (room <= 0) return void (overflow = true);
          chunks.push(room < chunk.length ? chunk.subarray(0, room) : chunk);
          kept += Math.min(room, chunk.length);
        });
        response.on('end', () => finish(true));
        response.on('close', () => finish(false));
      },
    );
    const timer = setTimeout(() => {
      finish(false, new HttpRequestFailed(`no answer within ${options.timeoutMs} ms`, true, sent));
      request.destroy();
    }, options.timeoutMs);
    request.once('finish', () => (sent = true));
    request.on('error', (err) => finish(false, failure(err, sent)));
    request.end(body);
  });
}
