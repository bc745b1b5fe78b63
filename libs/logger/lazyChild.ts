import type { Logger } from 'pino';

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);

/**
 * A child logger made only when something is logged at an enabled level. pino's child() with
 * redaction costs microseconds, which per event per step was the dispatcher's largest cost, while
 * most steps log nothing at the configured level.
 */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>): Logger {
  let child: Logger | undefined;
  const real = () => (child ??= parent.child(bindings));
  return new Proxy({} as Logger, {
    get(_target, property) {
      if (typeof property === 'string' && LEVELS.has(property)) {
        return (...args: unknown[]) => {
          if (!parent.isLevelEnabled(property)) return;
          const logger = real();
          Reflect.apply(logger[property as 'info'], logger, args);
        };
      }
      const value: unknown = Reflect.get(real(), property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(real()) : value;
    },
  });
}
