/**
 * `{{path.to.value}}` templates over a context of plain data. A path reads own properties of
 * plain objects and arrays only: no prototypes, no functions, no expressions, so a template can
 * never reach process, env or anything the context does not hold.
 *
 * A placeholder whose root is not in the context is left as it is, for a handler to render later
 * with a context of its own (escalate_users renders `{{user.name}}` per user).
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)\s*\}\}$/;

export type TemplateContext = Readonly<Record<string, unknown>>;

const UNKNOWN_ROOT = Symbol('unknown root');

function isPlainContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  if (Array.isArray(value)) return true;
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === Object.prototype || proto === null;
}

function lookup(context: TemplateContext, path: string): unknown {
  const [root = '', ...rest] = path.split('.');
  if (!Object.hasOwn(context, root)) return UNKNOWN_ROOT;
  let value: unknown = context[root];
  for (const key of rest) {
    if (!isPlainContainer(value) || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function asText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    default:
      // Objects and arrays as JSON; null, undefined (and what plain data never holds) as nothing.
      return value === null ? '' : (JSON.stringify(value) ?? '');
  }
}

/** True when a value is a string holding a placeholder: checked once rendered, at run time. */
export function isTemplated(value: unknown): boolean {
  return typeof value === 'string' && value.includes('{{');
}

/**
 * True when a JSON-like value holds a placeholder anywhere. A work list instead of recursion: a
 * route config or step output can be as deep as the data that made it.
 */
export function hasTemplates(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'string') {
      if (next.includes('{{')) return true;
    } else if (isPlainContainer(next)) {
      for (const item of Object.values(next)) pending.push(item);
    }
  }
  return false;
}

/** Renders one string; a string that is exactly one placeholder keeps the value's own type. */
export function renderString(template: string, context: TemplateContext): unknown {
  const whole = WHOLE.exec(template);
  if (whole) {
    const value = lookup(context, whole[1]!);
    return value === UNKNOWN_ROOT ? template : value;
  }
  return template.replace(PLACEHOLDER, (placeholder, path: string) => {
    const value = lookup(context, path);
    return value === UNKNOWN_ROOT ? placeholder : asText(value);
  });
}

type Container = Record<string, unknown> | unknown[];

/** An empty array or plain object to render `value` into, or undefined when it is neither. */
function emptyLike(value: unknown): Container | undefined {
  if (Array.isArray(value)) return [];
  return isPlainContainer(value) ? {} : undefined;
}

/** Sets an own property, even one named `__proto__`, which a JSON config may carry as data. */
function setOwn(target: Container, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Renders every string in a JSON-like value, into a copy made with a work list rather than recursion. */
export function render(value: unknown, context: TemplateContext): unknown {
  const leaf = (item: unknown) => (typeof item === 'string' ? renderString(item, context) : item);
  const top = emptyLike(value);
  if (!top) return leaf(value);
  const pending: Array<[source: Container, copy: Container]> = [[value as Container, top]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [source, copy] = next;
    for (const [key, item] of Object.entries(source)) {
      const child = emptyLike(item);
      setOwn(copy, key, child ?? leaf(item));
      if (child) pending.push([item as Container, child]);
    }
  }
  return top;
}
