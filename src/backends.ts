import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { BestEffortCache, ConvergedCache } from './cache/types';
import { MemoryBestEffortCache } from './cache/memory/bestEffort';
import { MemoryConvergedCache } from './cache/memory/convergedCache';
import { RedisBestEffortCache } from './cache/redis/bestEffort';
import { RedisConvergedCache } from './cache/redis/convergedCache';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { MemoryPubSub } from './pubsub/memory';
import { RedisPubSub } from './pubsub/redis';
import type { PubSub } from './pubsub/types';
import { EmbeddedStore } from './store/embedded/embeddedStore';
import type { Store } from './store/types';

/** The backends chosen by configuration: the only place that knows which ones run. */
export interface Backends {
  store: Store;
  bestEffort: BestEffortCache;
  convergedCache: ConvergedCache;
  pubsub: PubSub;
  /**
   * Throws when a backend cannot be reached (GET /readyz 503); else resolves with what is
   * degraded but still serving (a Redis Cluster with a master down), empty when all is well.
   */
  ping(): Promise<string[]>;
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
    // Loaded only for this store: the driver is ~3 MB of heap an embedded instance never uses
    // (require, not import(): this package is CommonJS, and jest's CommonJS runtime has no import()).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { CassandraStore } = require('./store/cassandra/cassandraStore') as typeof import('./store/cassandra/cassandraStore');
    return CassandraStore.connect(config.cassandra, log.child({ part: 'cassandra' }));
  }
  return new EmbeddedStore(config.dataDir, config.sqliteSynchronous, config.sqliteWriterCacheMb);
}

/** The Redis client settings of the configuration (REDIS_*_TIMEOUT_MS). */
export interface RedisTimeouts {
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  socketTimeoutMs: number;
}

/**
 * The ioredis options of one connection. Redis can fail in two ways: gone (refused or
 * reset connections: commands fail at once) and hung (a stopped process, a half-open socket
 * after a partition: the socket stays open and nothing answers). Without these bounds a
 * hung Redis hangs every caller, since ioredis waits for a reply forever.
 *
 * - commandTimeout: each command fails after it (BEST_EFFORT requests answer UNAVAILABLE,
 *   the converged cache reads a miss). A command that timed out stays in ioredis' reply
 *   queue, so the replies of a Redis that wakes up still match their commands.
 * - socketTimeout: a connection that owes replies and receives nothing that long is dropped
 *   and reconnected, so a half-open socket does not last until the kernel gives up on it.
 * - connectTimeout: a (re)connect that does not complete is retried.
 * - commands connection: no offline queue (while disconnected a command fails at once
 *   instead of waiting for the reconnect) and no resend after a reconnect: a command sent
 *   but not answered may already have run, and an add without a token run twice counts
 *   twice; its caller was answered UNAVAILABLE and may retry with its token.
 * - subscriber: keeps its offline queue and the defaults (SUBSCRIBE made during an outage
 *   still happens; ioredis re-subscribes every channel after a reconnect). Subscriptions
 *   are tracked from Redis' replies, not from the command's promise, so a SUBSCRIBE that
 *   timed out but reached Redis still counts.
 */
export function redisOptions(t: RedisTimeouts, role: 'cmd' | 'sub'): RedisOptions {
  return {
    maxRetriesPerRequest: role === 'cmd' ? 0 : 1,
    connectTimeout: t.connectTimeoutMs,
    commandTimeout: t.commandTimeoutMs,
    socketTimeout: t.socketTimeoutMs,
    lazyConnect: true,
    connectionName: `counters-${role}`,
    enableOfflineQueue: role === 'sub',
    autoResendUnfulfilledCommands: role === 'sub',
  };
}

/**
 * Redis connections: one for commands (caches, PUBLISH), one dedicated to SUBSCRIBE (a
 * subscribed connection can run nothing else); see redisOptions for how each fails.
 */
async function connectRedis(url: string, t: RedisTimeouts, log: Logger, role: 'cmd' | 'sub'): Promise<Redis> {
  const r = new Redis(url, redisOptions(t, role));
  warnOnce(r, log, role);
  await r.connect();
  return r;
}

/** One warning per outage, not one per failed reconnect. */
function warnOnce(r: Redis | Cluster, log: Pick<Logger, 'warn'>, role: 'cmd' | 'sub'): void {
  let warned = false;
  r.on('error', (err: Error) => {
    if (!warned) log.warn({ err, role }, 'redis connection error');
    warned = true;
  });
  r.on('ready', () => (warned = false));
}

/** A Redis Cluster's seeds (REDIS_CLUSTER_NODES). */
export interface ClusterNode {
  host: string;
  port: number;
}

/**
 * The ioredis Cluster options of one role, keeping the single-node semantics of
 * redisOptions: each node connection has its timeouts, and for commands nothing is sent
 * twice nor waits for a cluster that is not there.
 *
 * - retryDelayOnFailover 0 (commands): ioredis' default resends a command whose connection
 *   closed (on a master that died, possibly after running it) to the cluster again; an add
 *   without a token would count twice. It now fails (UNAVAILABLE, the caller may retry with
 *   its token). Redirections (MOVED, ASK) and CLUSTERDOWN/TRYAGAIN are still followed: those
 *   replies mean the node refused the command, so the resend is safe; the command's timeout
 *   (set once, when it is first sent to a node) bounds them all.
 * - enableOfflineQueue false (commands): while the cluster is not connected, or a node's
 *   connection is being made, a command fails at once (an offline-queued cluster command
 *   has no timeout until it reaches a node). Node connections themselves always queue
 *   (ioredis forces it) and never reconnect: a node that closed leaves the pool and comes
 *   back through the slot map (a MOVED or the next slots refresh).
 * - shardedSubscribers (subscriber): one subscriber connection per master, SSUBSCRIBE routed
 *   to the master of the channel's slot, and the channels of a master that came back (or
 *   whose slots moved) subscribed again by ioredis (retried with a backoff up to 2 s).
 */
export function clusterOptions(t: RedisTimeouts, role: 'cmd' | 'sub') {
  return {
    // subscriber: every master's subscriber connection made up front (ioredis makes a lazy
    // one at its first SSUBSCRIBE, which then waits for the connect)
    redisOptions: { ...redisOptions(t, role), lazyConnect: role === 'cmd' },
    lazyConnect: true,
    enableOfflineQueue: role === 'sub',
    retryDelayOnFailover: role === 'cmd' ? 0 : 100,
    shardedSubscribers: role === 'sub',
    slotsRefreshTimeout: t.connectTimeoutMs,
  };
}

/** A connected Redis Cluster client of one role (see clusterOptions). */
export async function connectCluster(nodes: ClusterNode[], t: RedisTimeouts, log: Pick<Logger, 'warn'>, role: 'cmd' | 'sub'): Promise<Cluster> {
  const c = new Cluster(nodes, clusterOptions(t, role));
  warnOnce(c, log, role);
  await c.connect();
  // Node connections are made at their first command, and with no offline queue the
  // commands sent while one is being made fail: make them now (a master down is no error).
  if (role === 'cmd') await Promise.all(c.nodes('master').map((n) => n.ping().catch(() => undefined)));
  return c;
}

/**
 * A Redis Cluster's readiness: every master of the slot map answers PING (over this
 * client's own connections, so it says what this instance can reach, at once, rather than
 * what the cluster agreed on a node timeout later). None answering throws (GET /readyz 503,
 * as a single Redis down); some is degraded (200: EVENTUAL/ACCURATE and the other slots
 * still serve; BEST_EFFORT on those slots answers UNAVAILABLE). A master this client holds
 * no connection to (it closed) counts as down and triggers a slots refresh, which
 * reconnects it once it is back.
 */
export async function clusterHealth(cluster: Cluster): Promise<string[]> {
  const slotsOf = new Map<string, number>();
  for (const owners of cluster.slots) {
    const node = owners?.[0];
    if (node !== undefined) slotsOf.set(node, (slotsOf.get(node) ?? 0) + 1);
  }
  const conns = new Map(cluster.nodes('all').map((n) => [`${n.options.host}:${n.options.port}`, n]));
  const answers = await Promise.all(
    [...slotsOf].map(async ([node, slots]) => {
      const conn = conns.get(node);
      const up = conn !== undefined && (await conn.ping().then(() => true, () => false));
      return { slots, up };
    }),
  );
  const served = answers.filter((a) => a.up).reduce((n, a) => n + a.slots, 0);
  if (served === 0) throw new Error(slotsOf.size === 0 ? 'no slot map' : 'no master answers');
  if (served === SLOTS && answers.every((a) => a.up)) return [];
  cluster.refreshSlotsCache();
  return [`${SLOTS - served} of ${SLOTS} Redis Cluster slots cannot be reached (BEST_EFFORT counters on them answer UNAVAILABLE)`];
}

const SLOTS = 16384;

/**
 * The subscriber connection only receives: nothing would notice it died silently (a
 * half-open socket) until a SUBSCRIBE owed a reply. A periodic PING owes one, so the socket
 * timeout drops a dead connection and ioredis reconnects and re-subscribes.
 */
function keepSubscriberAlive(sub: Redis, everyMs: number): () => void {
  const timer = setInterval(() => void sub.ping().catch(() => undefined), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** The promise, or a rejection once ms passed without its answer. */
export async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function createBackends(
  config: Config,
  log: Logger,
  metrics?: Pick<Metrics, 'bestEffortEvictions' | 'bestEffortSizes'>,
): Promise<Backends> {
  const closers: (() => Promise<unknown>)[] = [];
  try {
    let bestEffort: BestEffortCache;
    let convergedCache: ConvergedCache;
    let pubsub: PubSub;
    // [what, the kind of store GET /readyz names (never the driver's message), ping]
    // A ping that resolves with strings reports them as degraded (clusterHealth).
    const pings: [string, string, () => Promise<unknown>][] = [];
    if (config.redisUrl !== undefined || config.redisClusterNodes !== undefined) {
      const prefix = config.redisKeyPrefix;
      const timeouts = {
        commandTimeoutMs: config.redisCommandTimeoutMs,
        connectTimeoutMs: config.redisConnectTimeoutMs,
        socketTimeoutMs: config.redisSocketTimeoutMs,
      };
      const nodes = config.redisClusterNodes;
      const url = config.redisUrl;
      const connect = (role: 'cmd' | 'sub') =>
        nodes !== undefined ? connectCluster(nodes, timeouts, log, role) : connectRedis(url!, timeouts, log, role);
      const cmd = await connect('cmd');
      closers.push(() => cmd.quit().catch(() => cmd.disconnect()));
      const sub = await connect('sub');
      closers.push(() => sub.quit().catch(() => sub.disconnect()));
      // A cluster's sharded subscriber connections are ioredis' own (one per master, made
      // and replaced by it): a PING of the cluster client would reach none of them.
      if (sub instanceof Redis) {
        const stopKeepAlive = keepSubscriberAlive(sub, config.redisSocketTimeoutMs);
        closers.unshift(async () => stopKeepAlive()); // first: no PING on a closing connection
      }
      bestEffort = new RedisBestEffortCache(cmd, prefix);
      let cacheWarned = 0;
      convergedCache = new RedisConvergedCache(cmd, prefix, undefined, (err) => {
        // at most one line per 10 s while Redis is away
        if (Date.now() - cacheWarned > 10_000) log.warn({ err }, 'converged cache unreachable; serving EVENTUAL reads from the store');
        cacheWarned = Date.now();
      }, config.redisCommandTimeoutMs);
      pubsub = new RedisPubSub(cmd, sub, log.child({ part: 'pubsub' }), prefix);
      pings.push(
        ['redis (commands)', 'redis', () => (cmd instanceof Cluster ? clusterHealth(cmd) : cmd.ping())],
        ['redis (subscriber)', 'redis', () => sub.ping()],
      );
    } else {
      const memory = new MemoryBestEffortCache({
        maxCounters: config.bestEffortMaxCounters,
        maxIdempotencyKeys: config.bestEffortMaxIdempotencyKeys,
        onEvict: (kind) => metrics?.bestEffortEvictions.inc({ kind }),
      });
      if (metrics) metrics.bestEffortSizes = () => memory.sizes();
      bestEffort = memory;
      convergedCache = new MemoryConvergedCache(config.rollup.localCacheSize);
      pubsub = new MemoryPubSub();
    }
    const store = await createStore(config, log);
    pings.unshift([`${store.kind} store`, store.kind, () => store.ping()]);
    const redisClosers = closers.splice(0);
    return {
      store,
      bestEffort,
      convergedCache,
      pubsub,
      // Each backend answers within READYZ_TIMEOUT_MS or readiness fails naming it: a hung
      // backend must not hang GET /readyz (load balancers then see neither answer).
      async ping() {
        const answers = await Promise.all(
          pings.map(([what, store, p]) =>
            within(config.readyzTimeoutMs, p()).catch((err: unknown) => {
              throw Object.assign(new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`), { store, cause: err });
            }),
          ),
        );
        return answers.flatMap((a) => (Array.isArray(a) ? (a as string[]) : []));
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
