import { LRUCache } from 'lru-cache';
import { counterKey, type CounterRef } from '../../model';
import { dropPrefixed } from './bestEffort';
import type { ConvergedCache, ConvergedUpdate, ConvergedUpdateResult } from '../types';

/**
 * Converged counts in this process, bounded (LRU) so a million distinct counters cannot grow
 * memory without limit; an evicted counter is recomputed from the store on its next read.
 */
export class MemoryConvergedCache implements ConvergedCache {
  private readonly lru: LRUCache<string, { value: bigint; asOfMs: number }>;

  constructor(max: number) {
    this.lru = new LRUCache({ max });
  }

  async get(refs: CounterRef[]): Promise<(bigint | undefined)[]> {
    return refs.map((r) => this.lru.get(counterKey(r))?.value);
  }

  async setMany({ entries, asOfMs }: ConvergedUpdate): Promise<ConvergedUpdateResult> {
    const changed = entries.map(({ ref, value }) => {
      const key = counterKey(ref);
      const cur = this.lru.get(key);
      if (cur && cur.asOfMs > asOfMs) return false;
      this.lru.set(key, { value, asOfMs });
      return cur?.value !== value;
    });
    return { changed };
  }

  async clearNamespace(namespace: string): Promise<number> {
    return dropPrefixed(`${namespace}\u0000`, this.lru);
  }

  async close(): Promise<void> {
    this.lru.clear();
  }
}
