import { pino, type DestinationStream, type Logger, type LoggerOptions, type SerializerFn } from 'pino';
import { redactSecrets } from './redaction.js';

export type { Logger } from 'pino';
export { lazyChild } from './lazyChild.js';

/** Serializers already wrapped: fastify hands a child its parent's serializers again. */
const redactingSerializers = new WeakSet<SerializerFn>();

/** Serializers whose output is redacted too: pino runs them after `formatters.log`. */
function redactingOutput(serializers: Record<string, SerializerFn>): Record<string, SerializerFn> {
  return Object.fromEntries(
    Object.entries(serializers).map(([key, serialize]) => {
      if (redactingSerializers.has(serialize)) return [key, serialize];
      const redacting = (value: unknown): unknown => redactSecrets(serialize(value) as unknown);
      redactingSerializers.add(redacting);
      return [key, redacting];
    }),
  );
}

/**
 * Children redact their bindings and their own serializers' output (fastify brings some): pino
 * formats a child's bindings once, without `formatters`, and children inherit this `child`.
 */
function redactingChildren(logger: Logger): Logger {
  // Unbound on purpose: children inherit this `child`, and each calls pino's with itself as `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const child = logger.child;
  logger.child = function (this: Logger, bindings, options) {
    const serializers = options?.serializers;
    return Reflect.apply(child, this, [
      redactSecrets(bindings),
      serializers ? { ...options, serializers: redactingOutput(serializers) } : options,
    ]);
  };
  return logger;
}

/**
 * A pino logger with secrets redacted at any depth of every line (see redaction.ts); to stdout
 * unless given another destination.
 */
export function createLogger(options: { level?: string; name?: string } & LoggerOptions = {}, destination?: DestinationStream): Logger {
  const { formatters, serializers, ...rest } = options;
  const settings: LoggerOptions = {
    ...rest,
    level: options.level ?? 'info',
    // pino calls formatters.log with the logged object, before the serializers.
    formatters: { ...formatters, log: (object) => redactSecrets(formatters?.log ? formatters.log(object) : object) },
    serializers: redactingOutput({ err: pino.stdSerializers.err, ...serializers }),
  };
  return redactingChildren(destination ? pino(settings, destination) : pino(settings));
}
