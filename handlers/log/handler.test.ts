import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { StepContext } from '#libs/dispatcher';
import { VumiApiEvent } from '#libs/events';
import { createLogger, lazyChild } from '#libs/logger';
import { logHandler } from './handler.js';
import { LogConfig } from './schema.js';

describe('log handler', () => {
  it('logs the event with its secrets redacted at any depth', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const event = VumiApiEvent.parse({
      event_id: 'ev-1',
      account_key: 'acme',
      conversation_key: 'conv',
      conversation_type: 'sms',
      event_type: 'signup',
      timestamp: '2026-01-01T00:00:00Z',
      event_data: {
        password: 'pw-Q7x',
        profile: { name: 'Ann', credentials: [{ api_secret: 'as-Q7x' }, { Access_Token: 'at-Q7x' }] },
        note: 'keep me',
      },
    });
    // As the step runner gives it: a lazy child of the dispatcher's logger.
    const log = lazyChild(createLogger({ level: 'info' }, destination), { event_id: event.event_id, step: 0, handler: 'log' });
    const context = { event, config: LogConfig.parse({ message: 'signed up' }), log } as StepContext<LogConfig>;

    expect(await logHandler.handle(context)).toEqual({ output: { logged: true } });

    const output = lines.join('');
    expect(output).not.toContain('Q7x');
    // The log line, as far as this test reads it.
    const LogLine = z.looseObject({ msg: z.string(), event: z.looseObject({ event_data: z.record(z.string(), z.unknown()) }) });
    const line = LogLine.parse(JSON.parse(output));
    expect(line.msg).toBe('signed up');
    expect(line.event.event_data).toEqual({
      password: '[redacted]',
      profile: { name: 'Ann', credentials: [{ api_secret: '[redacted]' }, { Access_Token: '[redacted]' }] },
      note: 'keep me',
    });
    expect(event.event_data.password).toBe('pw-Q7x');
  });
});
