import type { BestEffortCache, RollupCache } from './cache/types';
import { MemoryBestEffortCache } from './cache/memoryBestEffort';
import { MemoryRollupCache } from './cache/memoryRollup';
import type { Config } from './config';
import type { Logger } from './logger';
import { MemoryPubSub } from './pubsub/memory';
import type { PubSub } from './pubsub/types';
import { SqliteStore } from './store/sqlite/sqliteStore';
import type { Store } from './store/types';

/** The backends chosen by configuration: the only place that knows which ones run. */
export interface Backends {
  store: Store;
  bestEffort: BestEffortCache;
  rollupCache: RollupCache;
  pubsub: PubSub;
  /** Throws when a backend cannot be reached (GET /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function createBackends(config: Config, _log: Logger): Promise<Backends> {
  const store: Store = new SqliteStore(config.dataDir, config.sqliteSynchronous);
  const bestEffort = new MemoryBestEffortCache();
  const rollupCache = new MemoryRollupCache(config.rollup.localCacheSize);
  const pubsub = new MemoryPubSub();
  return {
    store,
    bestEffort,
    rollupCache,
    pubsub,
    ping: () => store.ping(),
    async close() {
      await pubsub.close();
      await bestEffort.close();
      await rollupCache.close();
      await store.close();
    },
  };
}
