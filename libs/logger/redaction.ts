import { isSecretKey } from '#libs/secrets';

/** What a secret-named key's value reads as in a log line. */
export const REDACTED = '[redacted]';
/** What stands in for an object nested deeper than MAX_DEPTH. */
export const TOO_DEEP = '[too deep]';
/** What stands in for a reference back to an object that encloses it. */
export const CIRCULAR = '[circular]';
/** Far deeper than anything logged on purpose; the cap keeps hostile input from exhausting the stack. */
export const MAX_DEPTH = 32;

type Entries = Record<string, unknown>;

/**
 * Objects whose entries make their JSON: those of no class (plain, null-prototype, or prototypes
 * like those of pino's serializer outputs). Instances of classes (requests, sockets, dates) are
 * left to their serializers: walking them would visit whole object graphs.
 */
function isDataObject(value: object): boolean {
  for (
    let proto = Object.getPrototypeOf(value) as object | null;
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    if (Object.hasOwn(proto, 'constructor')) return false;
  }
  return true;
}

function isWalkable(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  return Array.isArray(value) || value instanceof Error || isDataObject(value);
}

/** A copy to change: errors keep their class and their own `message` and `stack` for pino's err serializer. */
function copyOf(object: object): Entries {
  if (!(object instanceof Error)) return { ...object };
  const descriptors = Object.getOwnPropertyDescriptors(object);
  for (const descriptor of Object.values(descriptors)) descriptor.configurable = true;
  return Object.create(Object.getPrototypeOf(object) as object | null, descriptors) as Entries;
}

/** Sets an own property, even one named `__proto__`, which logged JSON may carry as data. */
function setOwn(target: Entries, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A walkable value inside `ancestors` (the path to it, outermost first), `depth` levels down. */
function redactNested(value: object, depth: number, ancestors: object[]): unknown {
  if (ancestors.includes(value)) return CIRCULAR;
  if (depth > MAX_DEPTH) return TOO_DEEP;
  ancestors.push(value);
  const redacted = redactEntries(value, depth, ancestors);
  ancestors.pop();
  return redacted;
}

/** `object` itself when none of its entries changed, else a copy with the changed ones. */
function redactEntries(object: object, depth: number, ancestors: object[] | undefined): object {
  if (Array.isArray(object)) {
    const items: unknown[] = object;
    let copy: unknown[] | undefined;
    for (let index = 0; index < items.length; index++) {
      const item = items[index];
      if (!isWalkable(item)) continue;
      const redacted = redactNested(item, depth + 1, (ancestors ??= [items]));
      if (redacted !== item) (copy ??= items.slice())[index] = redacted;
    }
    return copy ?? items;
  }
  let copy: Entries | undefined;
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    const item = (object as Entries)[key];
    let redacted = item;
    if (isSecretKey(key)) redacted = item === undefined ? item : REDACTED;
    else if (isWalkable(item)) redacted = redactNested(item, depth + 1, (ancestors ??= [object]));
    if (redacted !== item) setOwn((copy ??= copyOf(object)), key, redacted);
  }
  return copy ?? object;
}

/**
 * `value` with the value of every secret-named key (libs/secrets/secretKeys.ts), whatever it is,
 * replaced by `[redacted]` at any depth of its arrays, data objects and errors; objects nested
 * deeper than MAX_DEPTH and cycles are replaced by markers. When nothing changes this is `value`
 * itself, so a usual log line costs one scan and no allocation; otherwise only the objects on the
 * way to a change are copied, and `value` is never modified.
 */
export function redactSecrets<T>(value: T): T {
  return isWalkable(value) ? (redactEntries(value, 1, undefined) as T) : value;
}
