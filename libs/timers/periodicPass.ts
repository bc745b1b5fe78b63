import { timeoutMs } from './timeoutMs.js';

export interface PeriodicPass {
  /** Stops: cuts the pass in flight short (through its signal) and waits for it. */
  stop(): Promise<void>;
}

/**
 * Runs `pass` at once, then `everyMs` after each one ends, until stopped: for the passes an engine
 * process makes over stored state (recovery, retention). `pass` handles its own failures; it is
 * handed a signal that aborts when the process stops.
 */
export function startPeriodicPass(everyMs: number, pass: (signal: AbortSignal) => Promise<void>): PeriodicPass {
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const run = async (): Promise<void> => {
    await pass(stopping.signal);
    if (!stopping.signal.aborted) timer = setTimeout(() => void (running = run()), timeoutMs(everyMs)).unref();
  };
  let running = run();
  return {
    async stop() {
      stopping.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
