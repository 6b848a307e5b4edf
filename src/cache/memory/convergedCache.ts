import { ClockMap } from '../../clockMap';
import { counterKey, type CounterRef } from '../../model';
import { dropPrefixed } from './bestEffort';
import type { ConvergedCache, ConvergedUpdate, ConvergedUpdateResult } from '../types';

interface Entry {
  value: bigint;
  asOfMs: number;
  used: boolean;
}

/**
 * Converged counts in this process, bounded so a million distinct counters cannot grow memory
 * without limit (approximately least recently used out, see ClockMap); an evicted counter is
 * recomputed from the store on its next read. Not lru-cache: every roll-up of a counter looks
 * it up and replaces its value, and at 100,000 counters lru-cache's get and set were ~5% of
 * the main thread under addCounts (a Map look-up is ~30x cheaper); a newer value replaces
 * the entry's fields in place, so a counter rolled up again allocates nothing.
 */
export class MemoryConvergedCache implements ConvergedCache {
  private readonly entries: ClockMap<Entry>;

  constructor(max: number) {
    this.entries = new ClockMap(max);
  }

  async get(refs: CounterRef[]): Promise<(bigint | undefined)[]> {
    return refs.map((r) => this.entries.get(counterKey(r))?.value);
  }

  holds(key: string): boolean {
    return this.entries.has(key);
  }

  async setMany({ entries, asOfMs, refreshOnly }: ConvergedUpdate): Promise<ConvergedUpdateResult> {
    const changed = entries.map(({ ref, value, key }) => {
      const k = key ?? counterKey(ref);
      const cur = this.entries.get(k);
      if (cur === undefined) {
        if (!refreshOnly) this.entries.set(k, { value, asOfMs, used: false });
        return true;
      }
      if (cur.asOfMs > asOfMs) return false;
      cur.asOfMs = asOfMs;
      if (cur.value === value) return false;
      cur.value = value;
      return true;
    });
    return { changed };
  }

  async clearNamespace(namespace: string): Promise<number> {
    return dropPrefixed(`${namespace}\u0000`, this.entries);
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}
