import { isSecretKey } from './secretKeys.js';

/** What a secret reads as in API answers. Sending it back unchanged keeps the stored secret. */
export const MASK = '[redacted]';

type Container = Record<string, unknown> | unknown[];

/** Either the entry's final value, or the copy goes into it, carrying `context` to its entries. */
type Decision<C> = { value: unknown } | { context: C };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An empty array or object to copy `value` into, or undefined when `value` is neither. */
function emptyLike(value: unknown): Container | undefined {
  if (Array.isArray(value)) return [];
  return isObject(value) ? {} : undefined;
}

/** Sets an own property, even one named `__proto__`, which a JSON document may carry as data. */
function setOwn(target: Container, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A copy of a JSON document, made with a work list instead of recursion so that no nesting depth
 * overflows the stack; `decide` settles each entry from its key, its value and its parent's context.
 */
function copyDocument<C>(root: unknown, rootContext: C, decide: (key: string, value: unknown, context: C) => Decision<C>): unknown {
  const top = emptyLike(root);
  if (!top) return root;
  const pending: Array<[source: Container, copy: Container, context: C]> = [[root as Container, top, rootContext]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [source, copy, context] = next;
    for (const [key, value] of Object.entries(source)) {
      const decision = decide(key, value, context);
      if ('value' in decision) {
        setOwn(copy, key, decision.value);
        continue;
      }
      const child = emptyLike(value);
      setOwn(copy, key, child ?? value);
      if (child) pending.push([value as Container, child, decision.context]);
    }
  }
  return top;
}

/** A copy with the value of every secret-named key (see secretKeys.ts) replaced by the mask; unset ones stay unset. */
export function maskSecrets<T>(value: T): T {
  return copyDocument(value, undefined, (key, item) => (isSecretKey(key) && item != null ? { value: MASK } : { context: undefined })) as T;
}

/** `stored` when it has the same shape as `incoming` (both arrays, or both objects), so that its entries correspond. */
function counterpart(incoming: unknown, stored: unknown): Container | undefined {
  const sameShape = (Array.isArray(incoming) && Array.isArray(stored)) || (isObject(incoming) && isObject(stored));
  return sameShape ? (stored as Container) : undefined;
}

/**
 * The incoming document with each masked secret put back from the stored one, so a client that
 * reads a config and writes it back does not overwrite its secrets with the mask.
 */
export function restoreMasked<T>(incoming: T, stored: unknown): T {
  return copyDocument(incoming, counterpart(incoming, stored), (key, item, previous) => {
    const before = previous && Object.hasOwn(previous, key) ? (previous as Record<string, unknown>)[key] : undefined;
    return item === MASK && isSecretKey(key) ? { value: before } : { context: counterpart(item, before) };
  }) as T;
}
