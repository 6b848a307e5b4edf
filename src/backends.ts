import { Redis } from 'ioredis';
import type { BestEffortCache, ConvergedCache } from './cache/types';
import { MemoryBestEffortCache } from './cache/memory/bestEffort';
import { MemoryConvergedCache } from './cache/memory/convergedCache';
import { RedisBestEffortCache } from './cache/redis/bestEffort';
import { RedisConvergedCache } from './cache/redis/convergedCache';
import type { Config } from './config';
import type { Logger } from './logger';
import { MemoryPubSub } from './pubsub/memory';
import { RedisPubSub } from './pubsub/redis';
import type { PubSub } from './pubsub/types';
import { CassandraStore } from './store/cassandra/cassandraStore';
import { EmbeddedStore } from './store/embedded/embeddedStore';
import type { Store } from './store/types';

/** The backends chosen by configuration: the only place that knows which ones run. */
export interface Backends {
  store: Store;
  bestEffort: BestEffortCache;
  convergedCache: ConvergedCache;
  pubsub: PubSub;
  /** Throws when a backend cannot be reached (GET /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

async function createStore(config: Config, log: Logger): Promise<Store> {
  if (config.store === 'cassandra') {
    if (config.rollup.skewMarginMs < 3000) {
      log.warn(
        { skewMarginMs: config.rollup.skewMarginMs },
        'ROLLUP_SKEW_MARGIN_MS below 3000 on Cassandra: an append slower than the margin can land behind a checkpoint (see docs/cassandra.md)',
      );
    }
    return CassandraStore.connect(config.cassandra, log.child({ part: 'cassandra' }));
  }
  return new EmbeddedStore(config.dataDir, config.sqliteSynchronous, config.sqliteWriterCacheMb);
}

/**
 * Redis connections: one for commands (caches, PUBLISH), one dedicated to SUBSCRIBE (a
 * subscribed connection can run nothing else). Commands fail fast while Redis is down, so
 * BEST_EFFORT requests answer UNAVAILABLE instead of hanging, and the roll-up cache degrades
 * to misses; ioredis reconnects and re-subscribes by itself.
 */
async function connectRedis(url: string, log: Logger, role: 'cmd' | 'sub'): Promise<Redis> {
  const r = new Redis(url, {
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    lazyConnect: true,
    connectionName: `counters-${role}`,
    // Commands fail at once while disconnected (UNAVAILABLE) instead of queueing; the
    // subscriber keeps its queue so a SUBSCRIBE made during an outage still happens.
    enableOfflineQueue: role === 'sub',
  });
  let warned = false;
  r.on('error', (err: Error) => {
    if (!warned) log.warn({ err, role }, 'redis connection error');
    warned = true;
  });
  r.on('ready', () => (warned = false));
  await r.connect();
  return r;
}

/** Labels a failed ping with the kind of store (GET /readyz names it, never the driver's message). */
const storeKind =
  (store: string, ping: () => Promise<unknown>) =>
  (): Promise<unknown> =>
    ping().catch((err: unknown) => {
      throw Object.assign(err instanceof Error ? err : new Error(String(err)), { store });
    });

export async function createBackends(config: Config, log: Logger): Promise<Backends> {
  const closers: (() => Promise<unknown>)[] = [];
  try {
    let bestEffort: BestEffortCache;
    let convergedCache: ConvergedCache;
    let pubsub: PubSub;
    const pings: (() => Promise<unknown>)[] = [];
    if (config.redisUrl) {
      const prefix = config.redisKeyPrefix;
      const cmd = await connectRedis(config.redisUrl, log, 'cmd');
      closers.push(() => cmd.quit().catch(() => cmd.disconnect()));
      const sub = await connectRedis(config.redisUrl, log, 'sub');
      closers.push(() => sub.quit().catch(() => sub.disconnect()));
      bestEffort = new RedisBestEffortCache(cmd, prefix);
      let cacheWarned = 0;
      convergedCache = new RedisConvergedCache(cmd, prefix, undefined, (err) => {
        // at most one line per 10 s while Redis is away
        if (Date.now() - cacheWarned > 10_000) log.warn({ err }, 'converged cache unreachable; serving EVENTUAL reads from the store');
        cacheWarned = Date.now();
      });
      pubsub = new RedisPubSub(cmd, sub, log.child({ part: 'pubsub' }), prefix);
      pings.push(storeKind('redis', () => cmd.ping()), storeKind('redis', () => sub.ping()));
    } else {
      bestEffort = new MemoryBestEffortCache();
      convergedCache = new MemoryConvergedCache(config.rollup.localCacheSize);
      pubsub = new MemoryPubSub();
    }
    const store = await createStore(config, log);
    pings.unshift(storeKind(store.kind, () => store.ping()));
    const redisClosers = closers.splice(0);
    return {
      store,
      bestEffort,
      convergedCache,
      pubsub,
      async ping() {
        await Promise.all(pings.map((p) => p()));
      },
      async close() {
        await pubsub.close();
        await bestEffort.close();
        await convergedCache.close();
        await store.close();
        for (const c of redisClosers) await c();
      },
    };
  } catch (err) {
    for (const c of closers) await c().catch(() => {});
    throw err;
  }
}
