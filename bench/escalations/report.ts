import type { Figure } from '../harness/benchmark.js';
import { median, percentileOfSorted } from '../harness/stats.js';
import { formatNumber, textTable } from '../harness/table.js';
import { CASE_KINDS, type EscalationCase } from './cases.js';
import type { Drive } from './drive.js';
import type { EscalationSizes } from './options.js';
import type { SendsTimeline } from './sends.js';
import type { Lags, Mismatch, Verification } from './verify.js';

/** Everything a run measured, for the tables and the figures. */
export interface EscalationRun extends Drive {
  sizes: EscalationSizes;
  cases: readonly EscalationCase[];
  verification: Verification;
  sends: SendsTimeline;
  /** Epoch ms the last escalation ended (from the documents); the run starts at `startedAt`. */
  endedAt: number;
  /** Raw JetStream events/s of each baseline run, before and after the escalations. */
  rawEventsPerSecond: number[];
  /** Warn and error lines the server logged. */
  serverWarnings: number;
  /** Each server process's --role. */
  serverRoles: string[];
  /** Every channel's expiry in the routes, in plan seconds. */
  expiriesS: number[];
}

const MAX_LISTED = 8;
const mb = (bytes: number) => bytes / 2 ** 20;

function runSeconds(run: EscalationRun): number {
  return (run.endedAt - run.startedAt) / 1000;
}

function lagRow(label: string, values: number[]): Array<string | number> {
  if (values.length === 0) return [label, 0, '', '', '', ''];
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => formatNumber(percentileOfSorted(sorted, p));
  return [label, formatNumber(values.length), at(50), at(90), at(99), formatNumber(sorted.at(-1)!)];
}

export function lagsTable(lags: Lags, shortestExpiryMs: number): string {
  return textTable({
    columns: [`latency (ms; shortest expiry is ${formatNumber(shortestExpiryMs)} ms)`, 'count', 'p50', 'p90', 'p99', 'max'],
    rows: [
      lagRow('trigger published -> first message accepted', lags.start),
      lagRow('attempt deadline -> next message accepted', lags.failover),
      lagRow('rejected/undeliverable status -> next message accepted', lags.failFast),
      lagRow("provider's read/delivered -> escalation ended", lags.outcome),
      lagRow('last deadline/failure -> escalation exhausted', lags.exhaust),
    ],
  });
}

export function mixTable(run: EscalationRun): string {
  const wrong = new Set(run.verification.wrong.map((one) => one.index));
  const rows = CASE_KINDS.map((kind) => {
    const ofKind = run.cases.filter((one) => one.kind === kind);
    const reads = ofKind.filter((one) => one.expected.status === 'read').length;
    return [
      kind,
      formatNumber(ofKind.length),
      formatNumber(reads),
      formatNumber(ofKind.length - reads),
      formatNumber(ofKind.reduce((sum, one) => sum + one.expected.sends, 0)),
      formatNumber(ofKind.filter((one) => !wrong.has(one.index)).length),
    ];
  });
  return textTable({ columns: ['scenario', 'escalations', 'expect read', 'expect exhausted', 'expected sends', 'correct'], rows });
}

/** One process: its VmHWM; several: their sum, then each with its roles. */
function rssText(run: EscalationRun): string {
  const total = `${mb(peakRss(run)).toFixed(1)} MB`;
  if (run.peakRssBytes.length === 1) return total;
  return `${total} in all: ${run.peakRssBytes.map((bytes, index) => `${mb(bytes).toFixed(1)} MB (${run.serverRoles[index]})`).join(', ')}`;
}

const peakRss = (run: EscalationRun) => run.peakRssBytes.reduce((sum, bytes) => sum + bytes, 0);

function trafficText(run: EscalationRun): string {
  const traffic = run.serverTraffic;
  if (!traffic) return 'unknown (no nats-server monitor)';
  const sends = Math.max(1, run.sends.count);
  return `${(traffic.inMsgs / sends).toFixed(1)} / ${(traffic.outMsgs / sends).toFixed(1)} (${formatNumber((traffic.inBytes + traffic.outBytes) / sends / 1024, 1)} KB)`;
}

export function resultTable(run: EscalationRun): string {
  const seconds = runSeconds(run);
  const { verification: v, sends, cpu } = run;
  const perSend = (share: number) => formatNumber(((share * cpu.seconds) / Math.max(1, sends.count)) * 1e6);
  return textTable({
    columns: ['measure', 'value'],
    rows: [
      [
        'run (first trigger -> last escalation ended)',
        `${seconds.toFixed(1)} s (ideal, with no latency: ${(run.idealMs / 1000).toFixed(1)} s)`,
      ],
      [
        'triggers published',
        `${formatNumber(run.cases.length)} in ${((run.triggers.lastAt - run.triggers.firstAt) / 1000).toFixed(1)} s (${run.sizes.rate > 0 ? `${run.sizes.rate}/s scheduled, worst lag ${formatNumber(run.triggers.maxLagMs)} ms` : 'all at once'})`,
      ],
      [
        'escalations correct / ended / expected',
        `${formatNumber(v.correct)} / ${formatNumber(v.escalations - v.missing - v.unfinished)} / ${formatNumber(v.escalations)}`,
      ],
      [
        'outcome events on EVENTS (duplicates, stray)',
        `${formatNumber(v.outcomeEvents)} (${v.duplicateOutcomes}, ${v.strayOutcomes}); re-publishes seen live: ${run.liveRepeats}`,
      ],
      [
        'provider sends: accepted by the simulator / recorded in escalations / expected',
        `${formatNumber(sends.count)} / ${formatNumber(v.sendsRecorded)} / ${formatNumber(run.cases.reduce((sum, one) => sum + one.expected.sends, 0))}`,
      ],
      ['escalations with extra / missing sends', `${v.extraSends.length} / ${v.missingSends.length}`],
      ['dead letters, stray escalations, server warn+ log lines', `${v.deadLetters}, ${v.strayEscalations}, ${run.serverWarnings}`],
      ['escalations completed/s', formatNumber(v.escalations / seconds, 1)],
      ['provider sends/s over the run', formatNumber(sends.count / seconds, 1)],
      [`provider sends/s, busiest ${sends.windowS} s`, formatNumber(sends.peakPerSecond, 1)],
      ['server peak RSS (VmHWM)', `${rssText(run)} (highest sample at ${(run.maxSampledRssAtMs / 1000).toFixed(0)} s)`],
      [
        'CPU (cores, averaged), server / nats-server / bench (simulator + source) / other processes',
        [cpu.server, cpu.nats, cpu.bench, cpu.others].map((one) => one.toFixed(2)).join(' / '),
      ],
      ['CPU per provider send, server / nats-server / bench', `${perSend(cpu.server)} / ${perSend(cpu.nats)} / ${perSend(cpu.bench)} µs`],
      ['server NATS messages per provider send, to / from nats-server', trafficText(run)],
      ['bench process event-loop delay p99 / max', `${run.loop.loopDelayP99Ms.toFixed(1)} / ${run.loop.loopDelayMaxMs.toFixed(1)} ms`],
    ],
    alignRight: [false, true],
  });
}

export function mismatchLines(title: string, list: readonly Mismatch[]): string[] {
  if (list.length === 0) return [];
  return [
    `${title}: ${list.length}${list.length > MAX_LISTED ? ` (first ${MAX_LISTED})` : ''}`,
    ...list.slice(0, MAX_LISTED).map((one) => `  ${one.what} [${one.escalationId}]`),
  ];
}

export function escalationFigures(run: EscalationRun): Figure[] {
  const seconds = runSeconds(run);
  const { verification: v } = run;
  const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
  const p99 = (values: number[]) => (values.length === 0 ? 0 : percentileOfSorted(sorted(values), 99));
  const sendsPerSecond = run.sends.count / seconds;
  return [
    {
      name: 'escalations with a wrong, missing or unfinished outcome',
      value: v.wrong.length,
      unit: `of ${formatNumber(v.escalations)}`,
      target: { op: '<=', value: 0 },
    },
    {
      name: 'escalations without exactly one outcome event of the right type',
      value: v.badEvents.length,
      unit: '',
      target: { op: '<=', value: 0 },
    },
    { name: 'duplicate outcome events', value: v.duplicateOutcomes, unit: '', target: { op: '<=', value: 0 } },
    { name: 'escalations completed/s', value: v.escalations / seconds, unit: '/s', decimals: 1 },
    { name: 'provider sends/s over the run', value: sendsPerSecond, unit: '/s', decimals: 1, target: { op: '>=', value: 500 } },
    {
      name: `raw JetStream publish+consume+ack, median of ${run.rawEventsPerSecond.length}`,
      value: median(run.rawEventsPerSecond),
      unit: 'events/s',
    },
    {
      name: 'provider sends/s per 1,000 raw JetStream events/s',
      value: (1000 * sendsPerSecond) / median(run.rawEventsPerSecond),
      unit: '',
      decimals: 1,
    },
    { name: `provider sends/s, busiest ${run.sends.windowS} s`, value: run.sends.peakPerSecond, unit: '/s', decimals: 1 },
    {
      name:
        run.peakRssBytes.length === 1 ? 'server peak RSS (VmHWM)' : `server peak RSS (VmHWM, sum of ${run.peakRssBytes.length} processes)`,
      value: mb(peakRss(run)),
      unit: 'MB',
      decimals: 1,
      target: { op: '<=', value: 400 },
    },
    { name: 'deadline -> next send p99', value: p99(v.lags.failover), unit: 'ms' },
    { name: 'read -> escalation ended p99', value: p99(v.lags.outcome), unit: 'ms' },
    { name: 'escalations with extra sends (late receipt or timer)', value: v.extraSends.length, unit: '' },
    { name: 'server CPU per provider send', value: ((run.cpu.server * run.cpu.seconds) / Math.max(1, run.sends.count)) * 1e6, unit: 'µs' },
    { name: 'CPU taken by other processes on the machine during the run', value: run.cpu.others, unit: 'cores', decimals: 2 },
    ...(run.serverTraffic
      ? [
          {
            name: 'server NATS messages per provider send (both ways)',
            value: (run.serverTraffic.inMsgs + run.serverTraffic.outMsgs) / Math.max(1, run.sends.count),
            unit: '',
            decimals: 1,
          },
        ]
      : []),
  ];
}

export function escalationNotes(run: EscalationRun): string[] {
  const { sizes } = run;
  const [shortest, longest] = [Math.min(...run.expiriesS), Math.max(...run.expiriesS)];
  const real = (planS: number) => formatNumber(planS * 1000 * sizes.scale);
  return [
    `${formatNumber(run.cases.length)} escalations over 4 routes (3 users x 2-3 channels), seed ${sizes.seed}; SWITCHBOARD_TIME_SCALE=${sizes.scale}: expiries of ${shortest}-${longest} plan s last ${real(shortest)}-${real(longest)} ms, reads come within ${real(15)} ms`,
    `raw JetStream (the dispatch benchmark's baseline on this nats-server), events/s before / after: ${run.rawEventsPerSecond.map((one) => formatNumber(one)).join(', ')}`,
    `server: ${run.serverRoles.length === 1 ? 'one process, every role' : run.serverRoles.map((roles) => `[${roles}]`).join(' + ')}; starts: ${sizes.rate > 0 ? `${sizes.rate}/s, longest scenarios first` : 'all at once'}; run ${runSeconds(run).toFixed(1)} s against an ideal ${(run.idealMs / 1000).toFixed(1)} s${run.allEnded ? '' : '; NOT every escalation ended'}`,
  ];
}
