/** Marks a replacement, so that a second copy of this module finds it in place instead of a changed method. */
const REPLACEMENT = Symbol.for('switchboard.natsOverride');

/** Whether an override replaced its method, or why it left nats.js's own in place. */
export type OverrideState =
  { name: string; active: true } | { name: string; active: false; code: 'version_mismatch' | 'shape_changed'; reason: string };

/**
 * What a replacement relies on in the method it replaces: its parameter count, and words its
 * source must contain (the fields and calls the replacement makes in its stead). A nats.js that
 * rewrote the method fails the check, and keeps its own.
 */
export interface MethodShape {
  length: number;
  mentions: readonly string[];
}

export interface OverrideSpec<T extends object, K extends keyof T & string> {
  name: string;
  /** The nats.js version it was measured on. */
  measuredOn: string;
  target: T;
  method: K;
  shape: MethodShape;
  replace(original: T[K]): T[K];
}

/** An override ready to install: its types are closed over. */
export interface NatsOverride {
  name: string;
  install(installedVersion: string): OverrideState;
}

function shapeProblem(original: unknown, method: string, shape: MethodShape): string | undefined {
  if (typeof original !== 'function') return `${method} is no longer a method`;
  if (original.length !== shape.length) return `${method} takes ${original.length} parameters, not ${shape.length}`;
  const source = Function.prototype.toString.call(original);
  const missing = shape.mentions.filter((word) => !source.includes(word));
  return missing.length > 0 ? `${method} no longer mentions ${missing.join(', ')}` : undefined;
}

export function defineOverride<T extends object, K extends keyof T & string>(spec: OverrideSpec<T, K>): NatsOverride {
  const { name, measuredOn, target, method, shape } = spec;
  return {
    name,
    install(installedVersion) {
      const current: unknown = target[method];
      if (typeof current === 'function' && REPLACEMENT in current) return { name, active: true };
      if (installedVersion !== measuredOn) {
        return {
          name,
          active: false,
          code: 'version_mismatch',
          reason: `measured on nats ${measuredOn}, ${installedVersion} is installed`,
        };
      }
      const problem = shapeProblem(current, method, shape);
      if (problem) return { name, active: false, code: 'shape_changed', reason: problem };
      const replacement = spec.replace(target[method]);
      Object.defineProperty(replacement, REPLACEMENT, { value: true });
      target[method] = replacement;
      return { name, active: true };
    },
  };
}
