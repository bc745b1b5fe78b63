import type { ChannelType } from '#libs/vonage';
import type { FailFirst, Scenario } from './scenario.js';
import type { Addressee, ScenarioTarget } from './scenarioTarget.js';

interface Entry {
  scenario: Scenario;
  /** Sends its `fail_first` has answered. */
  failed: number;
}

/** `*` stands for every channel; no channel name has a space, so the key names one target only. */
function keyOf(channel: ChannelType | '*', recipient: string): string {
  return `${channel} ${recipient}`;
}

/**
 * Scenarios by target, and how many sends each `fail_first` has answered. Recipients without a
 * scenario share the default one, and its `fail_first` counts their sends together, so the
 * counters never grow with the number of recipients.
 */
export class ScenarioBook {
  private readonly byTarget = new Map<string, Entry>();
  private readonly fallback: Entry;

  constructor(defaultScenario: Scenario) {
    this.fallback = { scenario: defaultScenario, failed: 0 };
  }

  set({ channel, recipient }: ScenarioTarget, scenario: Scenario): void {
    this.byTarget.set(keyOf(channel ?? '*', recipient), { scenario, failed: 0 });
  }

  get(addressee: Addressee): Scenario {
    return this.entryFor(addressee).scenario;
  }

  /** The failure to answer this send with, while its scenario's `fail_first` lasts. */
  takeFailure(addressee: Addressee): FailFirst | undefined {
    const entry = this.entryFor(addressee);
    const failFirst = entry.scenario.fail_first;
    if (!failFirst || entry.failed >= failFirst.count) return undefined;
    entry.failed++;
    return failFirst;
  }

  clear(): void {
    this.byTarget.clear();
    this.fallback.failed = 0;
  }

  /** The address's scenario on this channel, else on every channel, else the default. */
  private entryFor({ channel, to }: Addressee): Entry {
    return this.byTarget.get(keyOf(channel, to)) ?? this.byTarget.get(keyOf('*', to)) ?? this.fallback;
  }
}
