/** A value a ClockMap holds: it carries the map's use mark itself (no wrapper object per entry). */
export interface Marked {
  used: boolean;
}

/**
 * A Map bounded to `max` entries that evicts approximately the least recently used ones
 * (CLOCK, "second chance"): `get` marks an entry used; once past `max`, the oldest entries
 * (insertion order) are dropped, except those used since they were last passed over, which
 * move to the young end with the mark cleared. The mark lives in the value (`Marked`): at
 * 200,000 counters a wrapper object per entry was ~5 MB of heap and a second pointer to chase.
 *
 * Why not lru-cache: at 100,000 entries its get and peek cost ~0.5-0.8 µs of CPU each
 * against ~20-30 ns for a Map look-up (measured on the bench machine), and the overflow guard
 * looks a counter up several times per item of every write: ~12% of the main thread under
 * addCounts over 100K counters. Here a look-up is one Map get and a flag write; eviction is
 * amortised (each pass over an entry either drops it or clears its mark).
 */
export class ClockMap<V extends Marked> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly max: number) {
    if (!(max >= 1)) throw new RangeError(`ClockMap max must be >= 1 (got ${max})`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value, marked as used (it survives the next eviction pass). */
  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (e !== undefined) e.used = true;
    return e;
  }

  /** The value, without marking it used. */
  peek(key: string): V | undefined {
    return this.entries.get(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Sets the value; one replacing another is marked used, a new one is not. */
  set(key: string, value: V): void {
    const had = this.entries.has(key);
    value.used = had;
    // Room is made first: the entry just set is never the one dropped.
    if (!had && this.entries.size >= this.max) this.evict();
    this.entries.set(key, value);
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  clear(): void {
    this.entries.clear();
  }

  /** Drops the oldest unused entry; used ones passed over on the way move to the young end. */
  private evict(): void {
    for (const [key, e] of this.entries) {
      this.entries.delete(key);
      if (!e.used) return;
      e.used = false;
      this.entries.set(key, e);
    }
  }
}
