import { fork } from 'node:child_process';
import path from 'node:path';
import type { BenchContext } from '../harness/benchmark.js';
import { SENT_AT_FIELD } from '../dispatch/probeHandler.js';

/** The receiver process as the benchmark sees it: what arrived, by webhook-id, and latencies. */
export interface BenchReceiver {
  url: string;
  /** POSTs received since the last reset, repeats included. */
  readonly posts: number;
  /** Distinct webhook-ids received since the last reset. */
  readonly distinct: number;
  /** Publish-to-received milliseconds of the events that carried a publish stamp. */
  readonly latencies: number[];
  reset(): void;
}

type ReceiverMessage = { port: number } | { received: Array<[string, number | null]> };

/** Starts receiverProcess.ts (node + tsx, as the benchmark runs) and waits for its port. */
export async function startBenchReceiver(ctx: BenchContext): Promise<BenchReceiver> {
  const child = fork(path.join(import.meta.dirname, 'receiverProcess.ts'), [SENT_AT_FIELD], {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
  });
  ctx.defer(() => child.kill());
  let ids = new Set<string>();
  let posts = 0;
  let latencies: number[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the receiver exited with ${code}`)));
    child.on('message', (message: ReceiverMessage) => {
      if ('port' in message) return resolve(message.port);
      for (const [id, latency] of message.received) {
        posts++;
        ids.add(id);
        if (latency !== null) latencies.push(latency);
      }
    });
  });
  return {
    url: `http://127.0.0.1:${port}/hooks/bench`,
    get posts() {
      return posts;
    },
    get distinct() {
      return ids.size;
    },
    get latencies() {
      return latencies;
    },
    reset() {
      ids = new Set();
      posts = 0;
      latencies = [];
    },
  };
}
