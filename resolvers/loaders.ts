import DataLoader from 'dataloader';
import type { CounterService } from '../src/counters/service';
import type { NamespaceRegistry } from '../src/namespaces/registry';
import { counterKey, groupBy, type CounterRef, type NamespaceConfig } from '../src/model';

export interface Loaders {
  /** Counts of counters, batched per tick into one read per namespace. */
  count: CountLoader;
  /**
   * Namespace settings by name (null when unknown): many `_entities` representations of one
   * namespace cost one registry lookup, even when the registry has to ask the store.
   */
  namespace: DataLoader<string, NamespaceConfig | null>;
}

/** The counts loader, which can tell that it holds nothing (a writer then has nothing to forget). */
export class CountLoader extends DataLoader<CounterRef, bigint, string> {
  constructor(
    batch: DataLoader.BatchLoadFn<CounterRef, bigint>,
    private readonly cache = new Map<string, Promise<bigint>>(),
  ) {
    super(batch, { cacheKeyFn: counterKey, cacheMap: cache, maxBatchSize: 1000 });
  }

  /** Nothing loaded or primed since it was made or last cleared. */
  get empty(): boolean {
    return this.cache.size === 0;
  }
}

/**
 * Fresh loaders for every operation (HTTP request or subscription event), so values never
 * leak between requests and one request's reads of many counters become one batched read
 * per namespace: `counters(names)`, many `_entities` and nested `Namespace.counter` alike.
 */
export function createLoaders(service: CounterService, namespaces: NamespaceRegistry): Loaders {
  return {
    count: new CountLoader(async (refs) => {
      const byNs = groupBy(
        refs.map((_, i) => i),
        (i) => refs[i]!.namespace,
      );
      const out: (bigint | Error)[] = new Array(refs.length);
      await Promise.all(
        [...byNs].map(async ([name, idx]) => {
          try {
            const ns = await namespaces.require(name);
            const counts = await service.getCounts(ns, idx.map((i) => refs[i]!.name));
            idx.forEach((i, j) => (out[i] = counts[j]!));
          } catch (err) {
            for (const i of idx) out[i] = err as Error;
          }
        }),
      );
      return out;
    }),
    namespace: new DataLoader<string, NamespaceConfig | null>((names) =>
      Promise.all(names.map((n) => namespaces.find(n).then((ns) => ns ?? null, (err: Error) => err))),
    ),
  };
}
