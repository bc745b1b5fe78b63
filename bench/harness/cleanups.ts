export type Cleanup = () => unknown;

/**
 * Cleanups registered while a benchmark runs (its nats-server, temp dirs, a Switchboard), run
 * newest first when it ends, or when Ctrl-C interrupts it, so no server or store is left behind.
 */
export class Cleanups {
  private readonly pending: Cleanup[] = [];

  add(cleanup: Cleanup): void {
    this.pending.push(cleanup);
  }

  async runAll(onError: (err: unknown) => void): Promise<void> {
    for (let cleanup = this.pending.pop(); cleanup; cleanup = this.pending.pop()) {
      try {
        await cleanup();
      } catch (err) {
        onError(err);
      }
    }
  }
}
