interface Submission<T, R> {
  value: T;
  resolve(result: R): void;
  reject(err: unknown): void;
}

/**
 * Serializes writes per key and merges the submissions that arrive while one is in flight into
 * the next write, which carries the latest value and the number merged. A burst of calls on one
 * hook then costs a handful of compare-and-set writes instead of one each (which would all race
 * for the same revision), and every caller is answered by the write that carried its call.
 *
 * A merged write that fails is tried again with each of its submissions alone, in order, so a
 * value that cannot be written fails its own caller only (one bad call once failed the 30 merged
 * with it). A failure every caller shares (`shared`: the bus is down, the key is fought over) is
 * given to each at once: writing them one by one would only repeat it, slower.
 */
export class LatestWins<T, R> {
  /** The submissions waiting for the in-flight write of each key. */
  private readonly next = new Map<string, Array<Submission<T, R>> | undefined>();

  constructor(
    private readonly write: (key: string, value: T, count: number) => Promise<R>,
    private readonly shared: (err: unknown) => boolean,
  ) {}

  submit(key: string, value: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const submission = { value, resolve, reject };
      if (this.next.has(key)) {
        const waiting = this.next.get(key);
        if (waiting) waiting.push(submission);
        else this.next.set(key, [submission]);
        return;
      }
      this.next.set(key, undefined);
      void this.drain(key, [submission]);
    });
  }

  private async drain(key: string, first: Array<Submission<T, R>>): Promise<void> {
    let batch: Array<Submission<T, R>> | undefined = first;
    while (batch) {
      await this.settle(key, batch);
      batch = this.next.get(key);
      if (batch) this.next.set(key, undefined);
      else this.next.delete(key);
    }
  }

  private async settle(key: string, batch: ReadonlyArray<Submission<T, R>>): Promise<void> {
    try {
      const result = await this.write(key, batch.at(-1)!.value, batch.length);
      for (const submission of batch) submission.resolve(result);
    } catch (err) {
      if (batch.length === 1 || this.shared(err)) {
        for (const submission of batch) submission.reject(err);
        return;
      }
      for (const submission of batch) await this.settle(key, [submission]);
    }
  }
}
