import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';
export { lazyChild } from './lazyChild.js';

/**
 * Paths that may hold secrets anywhere we log configs, requests or webhooks. pino's wildcards
 * match one level, so the common nestings are listed explicitly.
 */
export const REDACTED_PATHS = [
  'password',
  'secret',
  'private_key',
  'PRIVATE_KEY',
  'token',
  '*.password',
  '*.secret',
  '*.private_key',
  '*.PRIVATE_KEY',
  '*.token',
  '*.*.private_key',
  '*.*.PRIVATE_KEY',
  '*.*.secret',
  '*.*.*.PRIVATE_KEY',
  '*.*.*.private_key',
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
];

/** A pino logger with secrets redacted; to stdout unless given another destination. */
export function createLogger(options: { level?: string; name?: string } & LoggerOptions = {}, destination?: DestinationStream): Logger {
  const settings = { level: options.level ?? 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, ...options };
  return destination ? pino(settings, destination) : pino(settings);
}
