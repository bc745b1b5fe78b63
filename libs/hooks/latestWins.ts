interface Waiter<R> {
  resolve(result: R): void;
  reject(err: unknown): void;
}

interface Batch<T, R> {
  value: T;
  /** Submissions merged into this batch. */
  count: number;
  waiters: Array<Waiter<R>>;
}

/**
 * Serializes writes per key and merges the submissions that arrive while one is in flight into
 * the next write, which carries the latest value and the number merged. A burst of calls on one
 * hook then costs a handful of compare-and-set writes instead of one each (which would all race
 * for the same revision), and every caller is answered by the write that carried its call.
 */
export class LatestWins<T, R> {
  /** The batch waiting for the in-flight write of each key. */
  private readonly next = new Map<string, Batch<T, R> | undefined>();

  constructor(private readonly write: (key: string, value: T, count: number) => Promise<R>) {}

  submit(key: string, value: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const waiter = { resolve, reject };
      if (this.next.has(key)) {
        const batch = this.next.get(key) ?? { value, count: 0, waiters: [] };
        batch.value = value;
        batch.count += 1;
        batch.waiters.push(waiter);
        this.next.set(key, batch);
        return;
      }
      this.next.set(key, undefined);
      void this.drain(key, { value, count: 1, waiters: [waiter] });
    });
  }

  private async drain(key: string, first: Batch<T, R>): Promise<void> {
    let batch: Batch<T, R> | undefined = first;
    while (batch) {
      try {
        const result = await this.write(key, batch.value, batch.count);
        for (const waiter of batch.waiters) waiter.resolve(result);
      } catch (err) {
        for (const waiter of batch.waiters) waiter.reject(err);
      }
      batch = this.next.get(key);
      if (batch) this.next.set(key, undefined);
      else this.next.delete(key);
    }
  }
}
