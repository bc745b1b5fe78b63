import type { Scenario } from '#libs/vonage-sim';
import { reportsRead, type ChannelType } from '#libs/vonage';
import { addressKey, type BenchRoute, type ShapeChannel } from './routes.js';

/**
 * read: one user reads (or, on SMS, gets it delivered) after earlier channels ran out their expiry;
 * never: nobody does, every expiry runs out; rejected: channels fail at once (rejected or
 * undeliverable), then someone reads or, half the time, nobody is left and it is exhausted.
 */
export type CaseKind = 'read' | 'never' | 'rejected';
export const CASE_KINDS: readonly CaseKind[] = ['read', 'never', 'rejected'];
const KIND_WEIGHTS: Readonly<Record<CaseKind, number>> = { read: 0.4, never: 0.3, rejected: 0.3 };

export interface ExpectedOutcome {
  status: 'read' | 'delivered';
  user: string;
  channel: ChannelType;
  /** The attempt number: messages mode sends one attempt per step, in order. */
  attempt: number;
}

export interface Expected {
  status: 'read' | 'exhausted';
  outcome?: ExpectedOutcome;
  /** Messages the provider should accept for this escalation. */
  sends: number;
  /** From the start to the outcome with no latency at all, in unscaled (plan) ms. */
  idealMs: number;
}

export interface Step {
  user: number;
  channelIndex: number;
  userName: string;
  channel: ShapeChannel;
  to: string;
}

export interface EscalationCase {
  index: number;
  eventId: string;
  route: BenchRoute;
  kind: CaseKind;
  /** The trigger's event_data.to: every step's address, by addressKey. */
  addresses: Record<string, string>;
  /** The simulator scenario of each step the escalation reaches (later steps keep the default, and must never be sent to). */
  scenarios: Array<{ to: string; scenario: Scenario }>;
  expected: Expected;
}

/** mulberry32: a small seeded generator, so a run's scenario mix can be repeated exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Random = () => number;
const between = (random: Random, low: number, high: number) => Math.round(low + random() * (high - low));

function pickKind(random: Random): CaseKind {
  let roll = random();
  for (const kind of CASE_KINDS) {
    roll -= KIND_WEIGHTS[kind];
    if (roll < 0) return kind;
  }
  return 'rejected';
}

/** Unique per escalation, user and channel, so each recipient has its own scenario. */
function addressFor(index: number, user: number, channelIndex: number, type: ChannelType): string {
  return type === 'messenger' ? `psid-${index}-${user}-${channelIndex}` : `44${String(index).padStart(7, '0')}${user}${channelIndex}`;
}

function stepsOf(route: BenchRoute, index: number): Step[] {
  return route.users.flatMap((user, u) =>
    user.channels.map((channel, c) => ({
      user: u,
      channelIndex: c,
      userName: user.name,
      channel,
      to: addressFor(index, u, c, channel.type),
    })),
  );
}

/** A step that does not meet its condition and runs out its expiry: silent, or delivered where success means read. */
function waitingScenario(random: Random, channel: ShapeChannel): { scenario: Scenario; ms: number } {
  const delivered = reportsRead(channel.type) && random() < 0.5;
  return {
    scenario: delivered ? { outcome: 'delivered', delivered_after_ms: between(random, 500, 5000) } : { outcome: 'silent' },
    ms: channel.expiryS * 1000,
  };
}

/** A step that fails at once: the engine fails over as soon as the status arrives. */
function failingScenario(random: Random): { scenario: Scenario; ms: number } {
  const after = between(random, 200, 2000);
  return { scenario: { outcome: random() < 0.5 ? 'rejected' : 'undeliverable', delivered_after_ms: after }, ms: after };
}

/** The step that succeeds: a read within 15 s, or on SMS (which never reports read) a delivery. */
function succeedingScenario(random: Random, channel: ShapeChannel): { scenario: Scenario; ms: number } {
  if (!reportsRead(channel.type)) {
    const after = between(random, 1000, 15_000);
    return { scenario: { outcome: random() < 0.5 ? 'read' : 'delivered', delivered_after_ms: after }, ms: after };
  }
  const delivered = between(random, 500, 3000);
  const read = delivered + between(random, 1000, 12_000);
  return { scenario: { outcome: 'read', delivered_after_ms: delivered, read_after_ms: read }, ms: read };
}

function buildCase(index: number, eventId: string, route: BenchRoute, random: Random): EscalationCase {
  const steps = stepsOf(route, index);
  const kind = pickKind(random);
  // The step that succeeds, or undefined when nobody will.
  const success =
    kind === 'read'
      ? between(random, 0, steps.length - 1)
      : kind === 'rejected' && random() < 0.5
        ? between(random, 1, steps.length - 1)
        : undefined;
  const reached = success === undefined ? steps : steps.slice(0, success + 1);
  let idealMs = 0;
  const scenarios = reached.map((step, position) => {
    const played =
      position === success
        ? succeedingScenario(random, step.channel)
        : kind === 'rejected'
          ? failingScenario(random)
          : waitingScenario(random, step.channel);
    idealMs += played.ms;
    return { to: step.to, scenario: played.scenario };
  });
  const reader = success === undefined ? undefined : steps[success]!;
  return {
    index,
    eventId,
    route,
    kind,
    addresses: Object.fromEntries(steps.map((step) => [addressKey(step.user, step.channelIndex), step.to])),
    scenarios,
    expected: reader
      ? {
          status: 'read',
          outcome: {
            status: reportsRead(reader.channel.type) ? 'read' : 'delivered',
            user: reader.userName,
            channel: reader.channel.type,
            attempt: success!,
          },
          sends: reached.length,
          idealMs,
        }
      : { status: 'exhausted', sends: steps.length, idealMs },
  };
}

/** `count` escalations over the routes in turn, each with its own recipients and scenarios. */
export function planCases(count: number, routes: readonly BenchRoute[], eventIdPrefix: string, seed: number): EscalationCase[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, index) => buildCase(index, `${eventIdPrefix}-${index}`, routes[index % routes.length]!, random));
}
