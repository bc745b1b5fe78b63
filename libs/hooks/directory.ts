import type { Logger } from '../logger/index.js';
import { HookRepository, type Hook, type HookChange } from '../store/index.js';

/**
 * Every hook in memory, by its token's index key (a hash of the token), kept current by watching
 * the hook documents: a call finds its hook without a read from NATS. A write made here waits
 * (`caughtUp`) until the watch has delivered it, so a hook disabled, deleted or given a new token
 * through this process answers accordingly to the very next call; other processes follow within
 * the watch's delay.
 */
export class HookDirectory {
  private readonly byToken = new Map<string, Hook>();
  private readonly tokenOfKey = new Map<string, string>();
  private revision = 0;
  private readonly waiters = new Set<{ revision: number; resolve: () => void }>();
  private stopWatch: () => void = () => undefined;

  private constructor(private readonly log: Logger) {}

  static async start(hooks: HookRepository, log: Logger): Promise<HookDirectory> {
    const directory = new HookDirectory(log);
    let ready!: () => void;
    const loaded = new Promise<void>((resolve) => (ready = resolve));
    const watch = await hooks.watch((change) => directory.apply(change), () => ready());
    directory.stopWatch = () => watch.stop();
    await loaded;
    return directory;
  }

  stop(): void {
    this.stopWatch();
  }

  /** The hook a launch token opens, enabled or not; undefined when the directory has none. */
  find(token: string): Hook | undefined {
    return this.byToken.get(HookRepository.tokenIndex(token));
  }

  /** Resolves true once the watch has delivered `revision`, or false after the timeout. */
  caughtUp(revision: number, timeoutMs = 2000): Promise<boolean> {
    if (this.revision >= revision) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { revision, resolve: () => resolve(true) };
      this.waiters.add(waiter);
      setTimeout(() => {
        if (this.waiters.delete(waiter)) resolve(false);
      }, timeoutMs).unref();
    });
  }

  private apply(change: HookChange): void {
    const previous = this.tokenOfKey.get(change.key);
    if (previous !== undefined) this.byToken.delete(previous);
    this.tokenOfKey.delete(change.key);
    if (change.operation === 'put') {
      this.byToken.set(change.hook.token_index, change.hook);
      this.tokenOfKey.set(change.key, change.hook.token_index);
    } else if (change.operation === 'invalid') {
      this.log.error({ key: change.key, message: change.message }, 'stored hook is not valid: it cannot be called');
    }
    this.revision = Math.max(this.revision, change.revision);
    for (const waiter of this.waiters) {
      if (this.revision >= waiter.revision) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }
}
