import type { FailFirst, Scenario } from './scenario.js';

/**
 * Scenarios by recipient, and how many sends each `fail_first` has answered. Recipients without a
 * scenario share the default one, and its `fail_first` counts their sends together, so the
 * counters never grow with the number of recipients.
 */
export class ScenarioBook {
  private readonly byRecipient = new Map<string, { scenario: Scenario; failed: number }>();
  private readonly fallback: { scenario: Scenario; failed: number };

  constructor(defaultScenario: Scenario) {
    this.fallback = { scenario: defaultScenario, failed: 0 };
  }

  set(recipient: string, scenario: Scenario): void {
    this.byRecipient.set(recipient, { scenario, failed: 0 });
  }

  get(recipient: string): Scenario {
    return (this.byRecipient.get(recipient) ?? this.fallback).scenario;
  }

  /** The failure to answer this send with, while the recipient's `fail_first` lasts. */
  takeFailure(recipient: string): FailFirst | undefined {
    const entry = this.byRecipient.get(recipient) ?? this.fallback;
    const failFirst = entry.scenario.fail_first;
    if (!failFirst || entry.failed >= failFirst.count) return undefined;
    entry.failed++;
    return failFirst;
  }

  clear(): void {
    this.byRecipient.clear();
    this.fallback.failed = 0;
  }
}
