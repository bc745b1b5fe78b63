import type { Bus } from '#libs/bus';
import { eventSubject } from '#libs/events';
import { median } from '../harness/stats.js';
import { formatNumber } from '../harness/table.js';
import type { BenchSwitchboard } from './benchSwitchboard.js';
import { runRawSample } from '../harness/rawJetStream.js';
import { encodedEvents, runPrefix } from '../harness/sampleEvents.js';
import { readySwitchboard, type DispatchSession } from './session.js';
import { runSwitchboardThroughput } from './switchboardThroughput.js';

export interface RepetitionFigures {
  raw: number;
  switchboard: number;
  ratio: number;
  rawCpu: number;
  switchboardCpu: number;
}

/** Per-repetition figures and the median of each column (the ratio's median is of per-repetition ratios). */
export interface Comparison extends RepetitionFigures {
  reps: RepetitionFigures[];
}

const medianOf = (reps: readonly RepetitionFigures[], key: keyof RepetitionFigures) => median(reps.map((one) => one[key]));

/** (a) then (b) in every repetition, so drift on the machine (page cache, other load) touches both alike. */
export async function compareThroughput(session: DispatchSession, sb: BenchSwitchboard, rawConsumer: Bus): Promise<Comparison> {
  const { ctx, sizes, publisher } = session;
  await runRawSample(publisher, rawConsumer, 'warmup', sizes.warmup, sizes.window);
  const reps: RepetitionFigures[] = [];
  for (let rep = 1; rep <= sizes.reps; rep++) {
    const raw = await runRawSample(publisher, rawConsumer, `raw${rep}`, sizes.events, sizes.window);
    const switchboard = await runSwitchboardThroughput(
      publisher,
      sb,
      encodedEvents(runPrefix(`sb${rep}`), sizes.events, eventSubject),
      sizes.window,
    );
    const one: RepetitionFigures = {
      raw: raw.eventsPerSecond,
      switchboard: switchboard.eventsPerSecond,
      ratio: switchboard.eventsPerSecond / raw.eventsPerSecond,
      rawCpu: raw.cpuMicrosPerEvent,
      switchboardCpu: switchboard.cpuMicrosPerEvent,
    };
    reps.push(one);
    ctx.progress(
      `  rep ${rep}/${sizes.reps}: raw ${formatNumber(one.raw)}/s, switchboard ${formatNumber(one.switchboard)}/s, ratio ${one.ratio.toFixed(2)}`,
    );
  }
  return {
    reps,
    raw: medianOf(reps, 'raw'),
    switchboard: medianOf(reps, 'switchboard'),
    ratio: medianOf(reps, 'ratio'),
    rawCpu: medianOf(reps, 'rawCpu'),
    switchboardCpu: medianOf(reps, 'switchboardCpu'),
  };
}

/** Median Switchboard events/s at another concurrency (its own Switchboard, stopped afterwards). */
export async function sweepConcurrency(session: DispatchSession, concurrency: number): Promise<number> {
  const { ctx, sizes, publisher } = session;
  const { sb, stop } = await readySwitchboard(session, concurrency);
  const runs: number[] = [];
  for (let rep = 1; rep <= sizes.sweepReps; rep++) {
    const run = await runSwitchboardThroughput(
      publisher,
      sb,
      encodedEvents(runPrefix(`c${concurrency}-${rep}`), sizes.events, eventSubject),
      sizes.window,
    );
    runs.push(run.eventsPerSecond);
    ctx.progress(`  concurrency ${concurrency}, rep ${rep}/${sizes.sweepReps}: ${formatNumber(run.eventsPerSecond)}/s`);
  }
  await stop();
  return median(runs);
}
