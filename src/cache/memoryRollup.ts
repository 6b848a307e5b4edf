import { LRUCache } from 'lru-cache';
import { counterKey, type CounterRef } from '../model';
import type { RollupCache } from './types';

/**
 * Roll-up values in this process, bounded (LRU) so a million distinct counters cannot grow
 * memory without limit; an evicted counter is recomputed from the store on its next read.
 */
export class MemoryRollupCache implements RollupCache {
  private readonly lru: LRUCache<string, { value: bigint; asOfMs: number }>;

  constructor(max: number) {
    this.lru = new LRUCache({ max });
  }

  async get(refs: CounterRef[]): Promise<(bigint | undefined)[]> {
    return refs.map((r) => this.lru.get(counterKey(r))?.value);
  }

  async setMany(entries: { ref: CounterRef; value: bigint }[], asOfMs: number): Promise<boolean[]> {
    return entries.map(({ ref, value }) => {
      const key = counterKey(ref);
      const cur = this.lru.get(key);
      if (cur && cur.asOfMs > asOfMs) return false;
      this.lru.set(key, { value, asOfMs });
      return cur?.value !== value;
    });
  }

  async close(): Promise<void> {
    this.lru.clear();
  }
}
