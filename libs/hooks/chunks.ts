/** Runs `work` over the items, at most `size` at a time, in order of chunks; results in item order. */
export async function inChunks<T, R>(items: readonly T[], size: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    const chunk = items.slice(start, start + size);
    results.push(...(await Promise.all(chunk.map((item, offset) => work(item, start + offset)))));
  }
  return results;
}
