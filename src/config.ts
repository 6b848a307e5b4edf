import path from 'node:path';
import { z } from 'zod';

/**
 * Every setting of the service, read from the environment in this one place and validated
 * up front: a wrong value stops the start with a message that names the variable.
 * README's "Configuration" table documents the same names.
 */
/**
 * An integer setting. Not z.coerce.number(): that reads a blank value (' ') as 0, so a typo
 * such as PORT=' ' would start on a random port instead of stopping with a message.
 */
const int = (def: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .preprocess((v) => (typeof v === 'string' ? (v.trim() === '' ? Number.NaN : Number(v)) : v), z.number().int().min(min).max(max))
    .default(def);

const consistency = z
  .enum(['ONE', 'TWO', 'THREE', 'QUORUM', 'ALL', 'LOCAL_QUORUM', 'EACH_QUORUM', 'LOCAL_ONE'])
  .default('LOCAL_QUORUM');

const envSchema = z.object({
  PORT: int(4000, 0, 65535),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  COUNTER_STORE: z.enum(['embedded', 'cassandra']).default('embedded'),
  COUNTER_DATA_DIR: z.string().min(1).default('./data'),
  COUNTER_NAMESPACES_FILE: z.string().min(1).optional(),
  /** FULL fsyncs every group commit (survives power loss); NORMAL survives a process crash only. */
  COUNTER_SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL']).default('FULL'),
  /** Page cache of the embedded store's writer connection, MiB. */
  COUNTER_SQLITE_WRITER_CACHE_MB: int(16, 1, 4096),
  CASSANDRA_CONTACT_POINTS: z.string().min(1).default('127.0.0.1:9042'),
  CASSANDRA_LOCAL_DC: z.string().min(1).default('datacenter1'),
  CASSANDRA_KEYSPACE: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,47}$/, 'a Cassandra identifier').default('counters'),
  CASSANDRA_REPLICATION_FACTOR: int(1, 1, 9),
  CASSANDRA_READ_CONSISTENCY: consistency,
  CASSANDRA_WRITE_CONSISTENCY: consistency,
  CASSANDRA_USERNAME: z.string().optional(),
  CASSANDRA_PASSWORD: z.string().optional(),
  /** Event partitioning: time bucket width, and event buckets per counter per time bucket. */
  CASSANDRA_SECONDS_PER_BUCKET: int(600, 1, 86_400),
  CASSANDRA_BUCKETS_PER_ID: int(4, 1, 64),
  /** Partitions per namespace of the pending (un-rolled counters) table. */
  CASSANDRA_PENDING_SHARDS: int(16, 1, 1024),
  /** In-flight single-partition queries per scatter read. */
  CASSANDRA_CONCURRENCY: int(64, 1, 2048),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL').optional(),
  REDIS_KEY_PREFIX: z.string().max(100).default('counters:'),
  ROLLUP_QUEUES: int(8, 1, 1024),
  ROLLUP_QUEUE_CAPACITY: int(16384, 1),
  ROLLUP_COALESCE_MS: int(25, 0, 60_000),
  ROLLUP_BATCH_MIN: int(16, 1),
  ROLLUP_BATCH_MAX: int(512, 1),
  ROLLUP_BATCH_TARGET_MS: int(25, 1),
  ROLLUP_SKEW_MARGIN_MS: int(1000, 0, 600_000),
  ROLLUP_SWEEP_INTERVAL_MS: int(1000, 10),
  ROLLUP_LOCAL_CACHE_SIZE: int(200_000, 100),
  /** How often events past retention that are checkpointed are deleted (embedded store). */
  ROLLUP_PURGE_INTERVAL_MS: int(600_000, 1000),
  PUBLISH_THROTTLE_MS: int(50, 0, 60_000),
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: int(100, 1),
  WS_KEEPALIVE_MS: int(12_000, 0),
  WS_CONNECTION_INIT_TIMEOUT_MS: int(10_000, 100),
  /** How long the credentials hook may take for a connection_init before the connection is refused. */
  WS_AUTH_TIMEOUT_MS: int(4000, 100, 60_000),
  /** Largest websocket message accepted. */
  WS_MAX_PAYLOAD_BYTES: int(256 * 1024, 1024, 64 * 1024 * 1024),
  /** Largest HTTP request body accepted (the default fits ~10,000 addCounts items). */
  HTTP_MAX_BODY_BYTES: int(4 * 1024 * 1024, 1024, 256 * 1024 * 1024),
  /** Plain POSTs run compiled (graphql-jit) instead of through Apollo's pipeline; off: every request through Apollo. */
  HTTP_COMPILED_EXECUTION: z.enum(['on', 'off']).default('on'),
  SHUTDOWN_TIMEOUT_MS: int(10_000, 0),
  /** Browser origins allowed by CORS and on websocket upgrades: comma-separated exact origins. */
  ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .refine((list) => list.every(isOrigin), 'comma-separated origins such as https://app.example.com (scheme://host[:port], no path, no wildcard)'),
  /** TCP connections the HTTP server holds at once (websockets included); past it new ones are closed. */
  HTTP_MAX_CONNECTIONS: int(10_000, 1),
  /** Websocket connections at once; past it an upgrade is answered 503. */
  WS_MAX_CONNECTIONS: int(5_000, 1),
  /** A request's headers must arrive within this (slowloris); the whole request within the next. */
  HTTP_HEADERS_TIMEOUT_MS: int(10_000, 100, 600_000),
  HTTP_REQUEST_TIMEOUT_MS: int(30_000, 100, 3_600_000),
  /** A socket with no traffic this long in the middle of a request or response is closed. */
  HTTP_IDLE_TIMEOUT_MS: int(60_000, 100, 3_600_000),
  /** An idle keep-alive connection is closed after this (above a load balancer's 60 s idle timeout). */
  HTTP_KEEPALIVE_TIMEOUT_MS: int(65_000, 100, 600_000),
  /** `production`: unexpected errors answer a fixed message and a requestId, details only in the log. */
  NODE_ENV: z.string().default('development'),
});

/** An exact browser origin: scheme://host[:port] as browsers serialize it (lower case, no path). */
function isOrigin(o: string): boolean {
  try {
    const u = new URL(o);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === o;
  } catch {
    return false;
  }
}

export type Config = ReturnType<typeof toConfig>;

function toConfig(env: z.infer<typeof envSchema>) {
  return {
    port: env.PORT,
    host: env.HOST,
    logLevel: env.LOG_LEVEL,
    store: env.COUNTER_STORE,
    dataDir: path.resolve(env.COUNTER_DATA_DIR),
    namespacesFile: env.COUNTER_NAMESPACES_FILE ? path.resolve(env.COUNTER_NAMESPACES_FILE) : undefined,
    sqliteSynchronous: env.COUNTER_SQLITE_SYNCHRONOUS,
    sqliteWriterCacheMb: env.COUNTER_SQLITE_WRITER_CACHE_MB,
    cassandra: {
      contactPoints: env.CASSANDRA_CONTACT_POINTS.split(',').map((s) => s.trim()).filter(Boolean),
      localDataCenter: env.CASSANDRA_LOCAL_DC,
      keyspace: env.CASSANDRA_KEYSPACE,
      replicationFactor: env.CASSANDRA_REPLICATION_FACTOR,
      readConsistency: env.CASSANDRA_READ_CONSISTENCY,
      writeConsistency: env.CASSANDRA_WRITE_CONSISTENCY,
      username: env.CASSANDRA_USERNAME,
      password: env.CASSANDRA_PASSWORD,
      secondsPerBucket: env.CASSANDRA_SECONDS_PER_BUCKET,
      bucketsPerId: env.CASSANDRA_BUCKETS_PER_ID,
      pendingShards: env.CASSANDRA_PENDING_SHARDS,
      concurrency: env.CASSANDRA_CONCURRENCY,
    },
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    rollup: {
      queues: env.ROLLUP_QUEUES,
      queueCapacity: env.ROLLUP_QUEUE_CAPACITY,
      coalesceMs: env.ROLLUP_COALESCE_MS,
      batchMin: env.ROLLUP_BATCH_MIN,
      batchMax: env.ROLLUP_BATCH_MAX,
      batchTargetMs: env.ROLLUP_BATCH_TARGET_MS,
      skewMarginMs: env.ROLLUP_SKEW_MARGIN_MS,
      sweepIntervalMs: env.ROLLUP_SWEEP_INTERVAL_MS,
      localCacheSize: env.ROLLUP_LOCAL_CACHE_SIZE,
      purgeIntervalMs: env.ROLLUP_PURGE_INTERVAL_MS,
    },
    publishThrottleMs: env.PUBLISH_THROTTLE_MS,
    ws: {
      maxSubscriptionsPerConnection: env.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      keepAliveMs: env.WS_KEEPALIVE_MS,
      connectionInitTimeoutMs: env.WS_CONNECTION_INIT_TIMEOUT_MS,
      authTimeoutMs: env.WS_AUTH_TIMEOUT_MS,
      maxPayloadBytes: env.WS_MAX_PAYLOAD_BYTES,
    },
    http: {
      maxBodyBytes: env.HTTP_MAX_BODY_BYTES,
      compiledExecution: env.HTTP_COMPILED_EXECUTION === 'on',
    },
    production: env.NODE_ENV === 'production',
    transport: {
      allowedOrigins: env.ALLOWED_ORIGINS,
      maxConnections: env.HTTP_MAX_CONNECTIONS,
      maxWebSockets: env.WS_MAX_CONNECTIONS,
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      idleTimeoutMs: env.HTTP_IDLE_TIMEOUT_MS,
      keepAliveTimeoutMs: env.HTTP_KEEPALIVE_TIMEOUT_MS,
    },
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  };
}

export class ConfigError extends Error {}

/** Reads the configuration; `overrides` (tests) win over the environment. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Record<string, string | number | undefined> = {},
): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const v = key in overrides ? overrides[key] : env[key];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}=${JSON.stringify(raw[String(i.path[0])])}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const cfg = toConfig(parsed.data);
  if (cfg.rollup.batchMin > cfg.rollup.batchMax) {
    throw new ConfigError(`invalid configuration: ROLLUP_BATCH_MIN (${cfg.rollup.batchMin}) > ROLLUP_BATCH_MAX (${cfg.rollup.batchMax})`);
  }
  const t = cfg.transport;
  if (t.headersTimeoutMs > t.requestTimeoutMs) {
    throw new ConfigError(`invalid configuration: HTTP_HEADERS_TIMEOUT_MS (${t.headersTimeoutMs}) > HTTP_REQUEST_TIMEOUT_MS (${t.requestTimeoutMs})`);
  }
  if (t.maxWebSockets > t.maxConnections) {
    throw new ConfigError(`invalid configuration: WS_MAX_CONNECTIONS (${t.maxWebSockets}) > HTTP_MAX_CONNECTIONS (${t.maxConnections}): websockets are HTTP connections`);
  }
  return cfg;
}
