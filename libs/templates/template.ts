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
  const proto = Object.getPrototypeOf(value);
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
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** True when a value is a string holding a placeholder: checked once rendered, at run time. */
export function isTemplated(value: unknown): boolean {
  return typeof value === 'string' && value.includes('{{');
}

/** True when a JSON-like value holds a placeholder anywhere. */
export function hasTemplates(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{{');
  if (Array.isArray(value)) return value.some(hasTemplates);
  if (isPlainContainer(value)) return Object.values(value).some(hasTemplates);
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

/** Renders every string in a JSON-like value. */
export function render(value: unknown, context: TemplateContext): unknown {
  if (typeof value === 'string') return renderString(value, context);
  if (Array.isArray(value)) return value.map((item) => render(item, context));
  if (isPlainContainer(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, render(item, context)]));
  }
  return value;
}
