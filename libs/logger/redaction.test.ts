import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger, lazyChild } from './index.js';
import { CIRCULAR, MAX_DEPTH, REDACTED, TOO_DEEP, redactSecrets } from './redaction.js';

/** A logger at debug level whose lines land in `lines`. */
function capturingLogger(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: createLogger({ level: 'debug', ...options }, destination), output: () => lines.join('') };
}

/** `{ next: { next: ... leaf } }`, `levels` objects deep, built without recursion. */
function nested(levels: number, leaf: Record<string, unknown>): Record<string, unknown> {
  let value = leaf;
  for (let level = 1; level < levels; level++) value = { next: value };
  return value;
}

function incomingRequest(headers: Record<string, string>): IncomingMessage {
  const request = new IncomingMessage(new Socket());
  request.method = 'POST';
  request.url = '/v1/accounts/acme/events';
  request.headers = headers;
  return request;
}

/** A class instance, as fastify's replies are: only its serializer's output is walked. */
class Reply {
  constructor(readonly headers: Record<string, string>) {}
}

const SECRETS = ['p1', 't1', 'k1', 'c1', 's1', 's2', 'Bearer abc'];

describe('secrets in log lines', () => {
  it('redacts secret-named keys at any depth, in objects and arrays, any case, and keeps the rest', () => {
    const { log, output } = capturingLogger();
    const body = {
      event: {
        event_data: {
          password: 'p1',
          nested: {
            Token: 't1',
            list: [{ api_key: 'k1' }, { client_secret: 'c1' }],
            deeper: { a: { b: { c: { d: { Signature_Secret: 's1' } } } } },
          },
          Secret: 's2',
          note: 'keep me',
          tokens_used: 12,
          token_index: 3,
        },
      },
      headers: { authorization: 'Bearer abc' },
    };
    log.info(body, 'event received');
    const text = output();
    for (const secret of SECRETS) expect(text).not.toContain(JSON.stringify(secret));
    // The line, as deep as this test reads it.
    const Deeper = z.looseObject({
      a: z.looseObject({ b: z.looseObject({ c: z.looseObject({ d: z.looseObject({ Signature_Secret: z.string() }) }) }) }),
    });
    const Line = z.looseObject({
      event: z.looseObject({ event_data: z.looseObject({ nested: z.looseObject({ list: z.array(z.unknown()), deeper: Deeper }) }) }),
      headers: z.looseObject({ authorization: z.string() }),
    });
    const line = Line.parse(JSON.parse(text));
    expect(line.event.event_data.nested.list).toEqual([{ api_key: REDACTED }, { client_secret: REDACTED }]);
    expect(line.event.event_data.nested.deeper.a.b.c.d.Signature_Secret).toBe(REDACTED);
    expect(line.headers.authorization).toBe(REDACTED);
    expect(line.event.event_data).toMatchObject({ note: 'keep me', tokens_used: 12, token_index: 3 });
    expect(body.event.event_data.password).toBe('p1');
  });

  it('redacts values of any type under a secret name', () => {
    const { log, output } = capturingLogger();
    log.info({ config: { token: 424242, secret: { key_id: 'kid-9', material: 'm-9' }, cookie: ['sid=9'] } });
    const line = z.looseObject({ config: z.record(z.string(), z.unknown()) }).parse(JSON.parse(output()));
    expect(line.config).toEqual({ token: REDACTED, secret: REDACTED, cookie: REDACTED });
  });

  it('redacts an error’s secret-named properties and keeps its type, message and stack', () => {
    const { log, output } = capturingLogger();
    const error = Object.assign(new TypeError('upstream refused'), {
      code: 'E_REFUSED',
      api_secret: 'as-1',
      request: { headers: { Authorization: 'Bearer e1' } },
    });
    log.error({ err: error }, 'call failed');
    log.warn({ err: new Error('wrapped', { cause: error }), attempt: 2 }, 'step failed');
    const ErrorLine = z.looseObject({ err: z.looseObject({ message: z.string(), stack: z.string().optional() }) });
    const [first, second] = output()
      .trim()
      .split('\n')
      .map((line) => ErrorLine.parse(JSON.parse(line)));
    expect(output()).not.toMatch(/as-1|Bearer e1/);
    expect(first!.err).toMatchObject({
      type: 'TypeError',
      message: 'upstream refused',
      code: 'E_REFUSED',
      api_secret: REDACTED,
      request: { headers: { Authorization: REDACTED } },
    });
    expect(first!.err.stack).toContain('upstream refused');
    expect(second!.err.message).toBe('wrapped: upstream refused');
    expect(error.api_secret).toBe('as-1');
  });

  it('redacts what serializers make, including req.headers.authorization, in children with their own serializers too', () => {
    const { log, output } = capturingLogger({ serializers: { req: pino.stdSerializers.req } });
    log.info({ req: incomingRequest({ authorization: 'Bearer r1', cookie: 'sid=r2', host: 'switchboard' }) }, 'request');
    const fastifyLike = log.child({}, { serializers: { res: (reply: Reply) => ({ headers: reply.headers }) } });
    fastifyLike.info({ res: new Reply({ 'Set-Cookie': 'sid=r3', 'content-type': 'json' }) }, 'reply');
    const [requestLine, replyLine] = output().trim().split('\n');
    const request = z.looseObject({ req: z.looseObject({}) }).parse(JSON.parse(requestLine!));
    const reply = z.looseObject({ res: z.looseObject({ headers: z.record(z.string(), z.unknown()) }) }).parse(JSON.parse(replyLine!));
    expect(output()).not.toMatch(/Bearer r1|sid=r2|sid=r3/);
    expect(request.req).toMatchObject({ method: 'POST', headers: { authorization: REDACTED, cookie: REDACTED, host: 'switchboard' } });
    expect(reply.res.headers).toEqual({ 'Set-Cookie': REDACTED, 'content-type': 'json' });
  });

  it('redacts child bindings, including those of lazy children', () => {
    const { log, output } = capturingLogger();
    log.child({ component: 'hooks', Token: 'b1' }).info('launched');
    lazyChild(log, { hook: { id: 'h1', auth: { api_key: 'b2' } } }).info('launched');
    expect(output()).not.toMatch(/"b1"|"b2"/);
    expect(output()).toContain('"component":"hooks"');
    expect(output()).toContain('"id":"h1"');
  });

  it('logs a 100,000-deep object without throwing, cut at the depth bound', () => {
    const { log, output } = capturingLogger();
    expect(() => log.info({ body: nested(100_000, { password: 'bottom' }) }, 'deep')).not.toThrow();
    // Each level, as far as the test reads it: its `next`.
    const Level = z.looseObject({ next: z.unknown() });
    let level = Level.parse(z.looseObject({ body: z.unknown() }).parse(JSON.parse(output())).body);
    for (let depth = 3; depth <= MAX_DEPTH; depth++) level = Level.parse(level.next);
    expect(level.next).toBe(TOO_DEEP);
  });

  it('logs cycles as a marker, with secrets around them redacted', () => {
    const { log, output } = capturingLogger();
    const looped: Record<string, unknown> = { name: 'loop', password: 'cy1' };
    looped.self = looped;
    looped.list = [looped];
    log.info({ looped });
    const line = z.looseObject({ looped: z.unknown() }).parse(JSON.parse(output()));
    expect(line.looped).toEqual({ name: 'loop', password: REDACTED, self: CIRCULAR, list: [CIRCULAR] });
  });
});

describe('redactSecrets', () => {
  it('returns the very object when nothing needs redacting', () => {
    const flat = { escalation_id: 'esc-1', account_key: 'acme', attempt: 3 };
    const deep = { event: { event_data: { list: [{ a: 1 }], when: new Date(0) } } };
    expect(redactSecrets(flat)).toBe(flat);
    expect(redactSecrets(deep)).toBe(deep);
  });

  it('copies only the objects on the way to a secret, and never changes the original', () => {
    const untouched = { a: 1 };
    const original = { untouched, path: { password: 'x' } };
    const redacted = redactSecrets(original);
    expect(redacted).not.toBe(original);
    expect(redacted.untouched).toBe(untouched);
    expect(redacted.path).toEqual({ password: REDACTED });
    expect(original.path.password).toBe('x');
  });

  it('redacts within the depth bound and replaces what lies beyond it', () => {
    const within = redactSecrets(nested(MAX_DEPTH, { password: 'x' }));
    expect(JSON.stringify(within)).toContain(`"password":"${REDACTED}"`);
    const beyond = redactSecrets(nested(MAX_DEPTH + 1, { note: 'x' }));
    expect(JSON.stringify(beyond)).toContain(`"next":"${TOO_DEEP}"`);
  });

  it('keeps a `__proto__` key from JSON as data', () => {
    const parsed: unknown = JSON.parse('{"__proto__": {"token": "x", "keep": 1}}');
    const redacted = redactSecrets(parsed);
    expect(JSON.stringify(redacted)).toBe(`{"__proto__":{"token":"${REDACTED}","keep":1}}`);
  });
});
