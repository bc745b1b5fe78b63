/**
 * A map that forgets the least recently used entries once their weights add up to more than its
 * capacity (by default each entry weighs 1: a bound on their number).
 */
export class LruMap<K, V> {
  // A Map iterates in insertion order: re-inserting on every use keeps the least recent first.
  private readonly entries = new Map<K, { value: V; weight: number }>();
  private total = 0;

  constructor(
    private readonly capacity: number,
    private readonly weigh: (value: V) => number = () => 1,
  ) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Whether the key is held, without counting as a use. */
  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** `weight` spares weighing a value whose weight the caller already knows. */
  set(key: K, value: V, weight = this.weigh(value)): void {
    this.delete(key);
    this.entries.set(key, { value, weight });
    this.total += weight;
    for (const oldest of this.entries.keys()) {
      if (this.total <= this.capacity || oldest === key) break;
      this.delete(oldest);
    }
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.total -= entry.weight;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The weights of the entries held, added up. */
  get weight(): number {
    return this.total;
  }
}
