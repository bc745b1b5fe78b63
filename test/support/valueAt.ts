/** The value at `path` inside parsed JSON (a log line, say), or undefined where the path leads nowhere. */
export function valueAt(json: unknown, ...path: Array<string | number>): unknown {
  let here = json;
  for (const key of path) {
    if (typeof here !== 'object' || here === null) return undefined;
    here = (here as Record<string | number, unknown>)[key];
  }
  return here;
}
