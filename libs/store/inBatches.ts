/** Reads in flight at once while listing: enough to hide round trips, few enough not to flood the connection. */
const LIST_READ_BATCH = 128;

/** `read` over every item, `LIST_READ_BATCH` at a time, the answers in the items' order. */
export async function inBatches<T, R>(items: readonly T[], read: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += LIST_READ_BATCH) out.push(...(await Promise.all(items.slice(i, i + LIST_READ_BATCH).map(read))));
  return out;
}
