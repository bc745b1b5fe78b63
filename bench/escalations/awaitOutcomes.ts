import { setTimeout as sleep } from 'node:timers/promises';
import type { Simulator } from '#libs/vonage-sim';
import type { BenchContext } from '../harness/benchmark.js';
import { formatNumber } from '../harness/table.js';
import { CONSUMERS } from '#libs/bus';
import { cpuShares, readCpu } from './cpu.js';
import { consumerBacklogs } from './natsMonitor.js';
import type { OutcomeWatch } from './outcomeWatch.js';
import { totalRss } from './procStats.js';

const PROGRESS_EVERY_MS = 5000;
/** Past the ideal end, how long without a new outcome before the run is declared stuck. */
const STALL_MS = 60_000;

export interface WaitOptions {
  expected: number;
  /** Epoch ms by which every escalation would have ended with no latency at all. */
  idealEndAt: number;
  serverPids: readonly number[];
  natsPid: number | undefined;
  /** nats-server's monitoring URL, for the consumers' backlogs. */
  monitor: string | undefined;
  /** Triggers published so far, for the progress line. */
  started(): number;
}

async function simHealth(sim: Simulator): Promise<{ messages: number; pending_webhooks: number; webhook_retries: number }> {
  const res = await fetch(`${sim.url}/_sim/health`);
  return (await res.json()) as { messages: number; pending_webhooks: number; webhook_retries: number };
}

/**
 * Waits until every escalation has an outcome, printing progress every 5 s: escalations started
 * and ended, messages the provider accepted, webhooks it has in flight, what the server's workers
 * have not yet taken from their consumers, the server's RSS and each process's CPU (others' too).
 * Gives up when outcomes stop coming well past the ideal end; the verification then says what is
 * missing. Resolves with whether all ended.
 */
export async function awaitOutcomes(ctx: BenchContext, sim: Simulator, watch: OutcomeWatch, options: WaitOptions): Promise<boolean> {
  const began = Date.now();
  let previous = readCpu(options.serverPids, options.natsPid);
  let previousSends = 0;
  let nextProgress = performance.now() + PROGRESS_EVERY_MS;
  for (;;) {
    if (watch.ended >= options.expected) return true;
    const now = Date.now();
    if (now > options.idealEndAt + STALL_MS && now - Math.max(watch.lastAt, options.idealEndAt) > STALL_MS) {
      ctx.progress(
        `  no outcome for ${STALL_MS / 1000} s past the ideal end: ${formatNumber(watch.ended)}/${formatNumber(options.expected)} ended; verifying what there is`,
      );
      return false;
    }
    if (performance.now() >= nextProgress) {
      nextProgress += PROGRESS_EVERY_MS;
      const cpu = readCpu(options.serverPids, options.natsPid);
      const shares = cpuShares(previous, cpu);
      previous = cpu;
      const health = await simHealth(sim);
      const sendRate = (health.messages - previousSends) / shares.seconds;
      previousSends = health.messages;
      const rssMb = totalRss(options.serverPids) / 2 ** 20;
      const backlogs = options.monitor ? await consumerBacklogs(options.monitor) : new Map<string, number>();
      const backlog = (name: string) => formatNumber(backlogs.get(name) ?? Number.NaN);
      ctx.progress(
        `  ${((now - began) / 1000).toFixed(0).padStart(4)} s  started ${formatNumber(options.started())}  ended ${formatNumber(watch.ended)}  ` +
          `sends ${formatNumber(health.messages)} (${formatNumber(sendRate)}/s)  webhooks in flight ${formatNumber(health.pending_webhooks)} (retried ${formatNumber(health.webhook_retries)})  ` +
          `not yet taken: events ${backlog(CONSUMERS.dispatcher)} timers ${backlog(CONSUMERS.timers)} receipts ${backlog(CONSUMERS.provider)}  ` +
          `server RSS ${rssMb.toFixed(0)} MB  CPU server ${(shares.server * 100).toFixed(0)} % nats ${(shares.nats * 100).toFixed(0)} % bench ${(shares.bench * 100).toFixed(0)} % others ${(shares.others * 100).toFixed(0)} %`,
      );
    }
    await sleep(50);
  }
}
