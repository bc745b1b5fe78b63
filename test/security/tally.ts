import { expect } from 'vitest';

/**
 * Counts the attacks a suite tries and how each was refused, and prints the count at the end:
 * the proof is in the numbers as much as in the assertions.
 */
export class AttackTally {
  private readonly byKind = new Map<string, Map<number | string, number>>();

  /** Records an attempt of a kind and asserts it was refused with the expected status. */
  refused(kind: string, actual: number | string, expected: number | string, detail = ''): void {
    expect(actual, `${kind}: ${detail}`).toBe(expected);
    const counts = this.byKind.get(kind) ?? new Map<number | string, number>();
    counts.set(actual, (counts.get(actual) ?? 0) + 1);
    this.byKind.set(kind, counts);
  }

  summary(): string {
    let total = 0;
    const lines = [...this.byKind].map(([kind, counts]) => {
      const parts = [...counts].map(([status, count]) => {
        total += count;
        return `${count} × ${status}`;
      });
      return `  ${kind.padEnd(44)} ${parts.join(', ')}`;
    });
    return [`security: ${total} attempts, every one refused`, ...lines].join('\n');
  }
}
