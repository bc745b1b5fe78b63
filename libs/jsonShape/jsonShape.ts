import { errorMessage, validationFailed, type FieldIssue } from '#libs/errors';

/** How large a JSON document's shape may be, checked before anything walks it. */
export interface JsonShapeLimits {
  /** Levels of objects and arrays, the outermost counting as 1 (SWITCHBOARD_JSON_MAX_DEPTH). */
  maxDepth: number;
  /** Keys of one object, items of one array (SWITCHBOARD_JSON_MAX_KEYS). */
  maxEntries: number;
}

export const DEFAULT_JSON_SHAPE: JsonShapeLimits = { maxDepth: 32, maxEntries: 10_000 };

/** A path longer than this many segments is shown by its head and tail. */
const PATH_HEAD = 8;
const PATH_TAIL = 4;
/** A key longer than this is cut in paths: a path names the place, not the data. */
const SEGMENT_CHARS = 40;

/** One container on the work list, with the link to its parent that spells its path on failure. */
interface Visit {
  value: object;
  depth: number;
  key: string | undefined;
  parent: Visit | undefined;
}

function segment(key: string): string {
  return key.length > SEGMENT_CHARS ? `${key.slice(0, SEGMENT_CHARS - 1)}…` : key;
}

/** Keys from the root down as a dotted path, `(root)` for none, shortened when long. */
function formatPath(keys: readonly string[]): string {
  if (keys.length === 0) return '(root)';
  const shown =
    keys.length > PATH_HEAD + PATH_TAIL + 1
      ? [...keys.slice(0, PATH_HEAD), `…(${keys.length - PATH_HEAD - PATH_TAIL} more)…`, ...keys.slice(-PATH_TAIL)]
      : keys;
  return shown.map(segment).join('.');
}

/** The path of a visited container, or of one of its keys. */
function pathOf(at: Visit | undefined, lastKey?: string): string {
  const keys: string[] = lastKey === undefined ? [] : [lastKey];
  for (let visit = at; visit?.key !== undefined; visit = visit.parent) keys.push(visit.key);
  return formatPath(keys.reverse());
}

const tooDeep = (maxDepth: number) => `nested more than ${maxDepth} levels deep (objects and arrays)`;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** An open container while scanning text: where in it the scan is (an array's index, an object's last key, as JSON). */
interface OpenContainer {
  array: boolean;
  index: number;
  key: string | undefined;
}

function decodedKey(json: string | undefined): string {
  if (json === undefined) return '';
  try {
    return JSON.parse(json) as string;
  } catch {
    return json.slice(1, -1);
  }
}

/**
 * Where JSON text opens a container deeper than `maxDepth`, found by counting brackets outside
 * strings, before JSON.parse: a body nested 100,000 levels deep is refused for the cost of reading
 * it, not of building 100,000 arrays. Text that is not JSON passes; JSON.parse refuses it next.
 */
export function jsonTextDepthIssue(text: string, maxDepth: number): FieldIssue | undefined {
  const open: OpenContainer[] = [];
  let expectingKey = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === QUOTE) {
      const start = i;
      for (i++; i < text.length; i++) {
        const inString = text.charCodeAt(i);
        if (inString === BACKSLASH) i++;
        else if (inString === QUOTE) break;
      }
      const innermost = open.at(-1);
      if (expectingKey && innermost) innermost.key = text.slice(start, i + 1);
      expectingKey = false;
    } else if (char === OPEN_OBJECT || char === OPEN_ARRAY) {
      if (open.length >= maxDepth) {
        return {
          path: formatPath(open.map((container) => (container.array ? String(container.index) : decodedKey(container.key)))),
          message: tooDeep(maxDepth),
        };
      }
      open.push({ array: char === OPEN_ARRAY, index: 0, key: undefined });
      expectingKey = char === OPEN_OBJECT;
    } else if (char === CLOSE_OBJECT || char === CLOSE_ARRAY) {
      open.pop();
      expectingKey = false;
    } else if (char === COMMA) {
      const innermost = open.at(-1);
      if (innermost?.array) innermost.index++;
      else expectingKey = innermost !== undefined;
    }
  }
  return undefined;
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/**
 * Keys that would reach an object's prototype if code ever copied them with assignment
 * (`Object.assign`, a merge): refused on the way in, as fastify's own JSON parser does.
 */
function prototypeKeyIssue(key: string, value: unknown): string | undefined {
  if (key === '__proto__') return 'a key named "__proto__" is not accepted';
  if (key === 'constructor' && isContainer(value) && Object.hasOwn(value, 'prototype'))
    return 'a "constructor" holding a "prototype" is not accepted';
  return undefined;
}

/**
 * The first place where a parsed JSON value goes past the limits (or carries a prototype key), or
 * undefined. It walks with a work list, never recursion, and stops at the first problem, so a
 * document nested 100,000 levels deep costs one level past the limit.
 */
export function jsonShapeIssue(document: unknown, limits: JsonShapeLimits): FieldIssue | undefined {
  if (!isContainer(document)) return undefined;
  const pending: Visit[] = [{ value: document, depth: 1, key: undefined, parent: undefined }];
  for (let visit = pending.pop(); visit; visit = pending.pop()) {
    if (visit.depth > limits.maxDepth) return { path: pathOf(visit), message: tooDeep(limits.maxDepth) };
    if (Array.isArray(visit.value)) {
      if (visit.value.length > limits.maxEntries)
        return { path: pathOf(visit), message: `more than ${limits.maxEntries} items in one array` };
      for (let index = 0; index < visit.value.length; index++) {
        const item: unknown = visit.value[index];
        if (isContainer(item)) pending.push({ value: item, depth: visit.depth + 1, key: String(index), parent: visit });
      }
      continue;
    }
    const keys = Object.keys(visit.value);
    if (keys.length > limits.maxEntries) return { path: pathOf(visit), message: `more than ${limits.maxEntries} keys in one object` };
    for (const key of keys) {
      const item: unknown = (visit.value as Record<string, unknown>)[key];
      const refused = prototypeKeyIssue(key, item);
      if (refused) return { path: pathOf(visit, key), message: refused };
      if (isContainer(item)) pending.push({ value: item, depth: visit.depth + 1, key, parent: visit });
    }
  }
  return undefined;
}

/** Throws a 400 `validation_failed` naming the place where a document goes past the limits. */
export function checkJsonShape(document: unknown, limits: JsonShapeLimits): void {
  const issue = jsonShapeIssue(document, limits);
  if (issue) throw validationFailed([issue]);
}

/** JSON text as a value, or why not: not JSON at all, or JSON past the limits (with where). */
export type ShapedJson =
  { ok: true; value: unknown } | { ok: false; problem: 'syntax'; message: string } | { ok: false; problem: 'shape'; issue: FieldIssue };

/** Parses JSON text within the limits: too deep is refused before parsing, the rest checked once parsed. */
export function parseShapedJson(text: string, limits: JsonShapeLimits): ShapedJson {
  const deep = jsonTextDepthIssue(text, limits.maxDepth);
  if (deep) return { ok: false, problem: 'shape', issue: deep };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: 'syntax', message: errorMessage(err) };
  }
  const issue = jsonShapeIssue(value, limits);
  return issue ? { ok: false, problem: 'shape', issue } : { ok: true, value };
}
