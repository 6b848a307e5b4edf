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

const consistency = z.enum(['ONE', 'TWO', 'THREE', 'QUORUM', 'ALL', 'LOCAL_QUORUM', 'EACH_QUORUM', 'LOCAL_ONE']).optional();

const envSchema = z.object({
  PORT: int(4000, 0, 65535),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** V8's old-generation growth after a full gc, percent of what survived it (0: V8's own heuristic, up to 300). */
  HEAP_GROWING_PERCENT: int(100, 0, 1000),
  COUNTER_STORE: z.enum(['embedded', 'cassandra']).default('embedded'),
  COUNTER_DATA_DIR: z.string().min(1).default('./data'),
  COUNTER_NAMESPACES_FILE: z.string().min(1).optional(),
  /** deleteNamespace: how long after the tombstone the removal starts (other instances must have stopped writing). */
  NAMESPACE_DELETE_GRACE_MS: int(45_000, 0, 86_400_000),
  /** FULL fsyncs every group commit (survives power loss); NORMAL survives a process crash only. */
  COUNTER_SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL']).default('FULL'),
  /** Page cache of the embedded store's writer connection, MiB. */
  COUNTER_SQLITE_WRITER_CACHE_MB: int(16, 1, 4096),
  CASSANDRA_CONTACT_POINTS: z.string().min(1).default('127.0.0.1:9042'),
  CASSANDRA_LOCAL_DC: z.string().min(1).default('datacenter1'),
  CASSANDRA_KEYSPACE: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,47}$/, 'a Cassandra identifier').default('counters'),
  CASSANDRA_REPLICATION_FACTOR: int(1, 1, 9),
  /** Every query's consistency; default LOCAL_QUORUM at a replication factor of 3 or more, LOCAL_ONE below (a quorum of 2 is both). */
  CASSANDRA_CONSISTENCY: consistency,
  /** Overrides of CASSANDRA_CONSISTENCY for reads and for writes (default: it). */
  CASSANDRA_READ_CONSISTENCY: consistency,
  CASSANDRA_WRITE_CONSISTENCY: consistency,
  /** Retries of an idempotent query that failed on a node (timeout, unavailable, lost connection), each on the next node. */
  CASSANDRA_RETRIES: int(2, 0, 10),
  /** An idempotent query unanswered this long also goes to the next node (speculative execution); 0 = never. */
  CASSANDRA_SPECULATIVE_DELAY_MS: int(500, 0, 60_000),
  /** Speculative executions at most per query (CASSANDRA_SPECULATIVE_DELAY_MS apart). */
  CASSANDRA_SPECULATIVE_EXECUTIONS: int(1, 0, 8),
  CASSANDRA_USERNAME: z.string().optional(),
  CASSANDRA_PASSWORD: z.string().optional(),
  /** Event partitioning: time bucket width, and event buckets per counter per time bucket. */
  CASSANDRA_SECONDS_PER_BUCKET: int(600, 1, 86_400),
  CASSANDRA_BUCKETS_PER_ID: int(4, 1, 64),
  /** Partitions per namespace of the pending (un-rolled counters) table. */
  CASSANDRA_PENDING_SHARDS: int(16, 1, 1024),
  /** Partitions read or written at once per instance (a grouped IN query counts each partition it reads). */
  CASSANDRA_CONCURRENCY: int(64, 1, 2048),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL').optional(),
  /** A Redis Cluster instead of one Redis (REDIS_URL): comma-separated host:port seeds; ioredis learns the rest. */
  REDIS_CLUSTER_NODES: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .refine((list) => list.length > 0 && list.every(isHostPort), 'comma-separated host:port pairs such as 10.0.0.1:6379,10.0.0.2:6379')
    .optional(),
  REDIS_KEY_PREFIX: z.string().max(100).default('counters:'),
  /** How long one Redis command may take before it fails (BEST_EFFORT: UNAVAILABLE; converged cache: a miss). */
  REDIS_COMMAND_TIMEOUT_MS: int(1000, 10, 60_000),
  /** How long a (re)connect to Redis may take. */
  REDIS_CONNECT_TIMEOUT_MS: int(2000, 10, 60_000),
  /** A Redis connection that owes replies but receives nothing this long is dropped and reconnected (half-open sockets). */
  REDIS_SOCKET_TIMEOUT_MS: int(5000, 100, 600_000),
  /** How long GET /readyz waits for every backend's ping before answering 503. */
  READYZ_TIMEOUT_MS: int(2000, 10, 60_000),
  ROLLUP_QUEUES: int(8, 1, 1024),
  ROLLUP_QUEUE_CAPACITY: int(16384, 1),
  ROLLUP_COALESCE_MS: int(25, 0, 60_000),
  ROLLUP_BATCH_MIN: int(16, 1),
  ROLLUP_BATCH_MAX: int(512, 1),
  ROLLUP_BATCH_TARGET_MS: int(25, 1),
  ROLLUP_SKEW_MARGIN_MS: int(1000, 0, 600_000),
  ROLLUP_SWEEP_INTERVAL_MS: int(1000, 10),
  ROLLUP_READ_REFRESH_MS: int(5000, 0, 3_600_000),
  ROLLUP_LOCAL_CACHE_SIZE: int(200_000, 100),
  /** How often events past retention that are checkpointed are deleted (embedded store). */
  ROLLUP_PURGE_INTERVAL_MS: int(600_000, 1000),
  PUBLISH_THROTTLE_MS: int(50, 0, 60_000),
  /** BEST_EFFORT counters the in-memory cache holds at most (least recently used dropped first; they restart from 0). */
  BEST_EFFORT_MAX_COUNTERS: int(100_000, 1, 100_000_000),
  /** Idempotency records the in-memory BEST_EFFORT cache holds at most. */
  BEST_EFFORT_MAX_IDEMPOTENCY_KEYS: int(200_000, 1, 100_000_000),
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: int(100, 1),
  WS_KEEPALIVE_MS: int(12_000, 0),
  WS_CONNECTION_INIT_TIMEOUT_MS: int(10_000, 100),
  /** How long the credentials hook may take for a connection_init before the connection is refused. */
  WS_AUTH_TIMEOUT_MS: int(4000, 100, 60_000),
  /** Largest websocket message accepted. */
  WS_MAX_PAYLOAD_BYTES: int(256 * 1024, 1024, 64 * 1024 * 1024),
  /** Largest HTTP request body accepted (the default fits 1,000 addCounts items, the LIMIT_ADDCOUNTS_ITEMS default, many times over). */
  HTTP_MAX_BODY_BYTES: int(1024 * 1024, 1024, 256 * 1024 * 1024),
  /** Plain POSTs run compiled (graphql-jit) instead of through Apollo's pipeline; off: every request through Apollo. */
  HTTP_COMPILED_EXECUTION: z.enum(['on', 'off']).default('on'),
  SHUTDOWN_TIMEOUT_MS: int(10_000, 0),
  /** Tracing: on when set (OTLP over HTTP, e.g. http://collector:4318); the SDK's own OTEL_* variables apply too. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL').optional(),
  OTEL_SERVICE_NAME: z.string().min(1).max(200).default('counter-service'),
  /** `production` turns the explorer, introspection, "Did you mean" hints and `_service { sdl }` off by default, and makes unexpected errors opaque (a fixed message and a requestId; details only in the log). */
  NODE_ENV: z.string().optional(),
  /** GraphiQL at GET /graphql for browsers (every asset served by the service); default: on unless NODE_ENV=production. */
  GRAPHQL_EXPLORER: z.enum(['true', 'false']).optional(),
  /** Access control (README "Access control"): an HS256 shared secret, or a JWKS endpoint; neither = off. */
  AUTH_JWT_SECRET: z
    .string()
    .refine((s) => Buffer.byteLength(s, 'utf8') >= 32, 'at least 32 bytes (HS256 needs a 256-bit key)')
    .optional(),
  AUTH_JWKS_URL: z
    .string()
    .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), 'an http:// or https:// URL')
    .optional(),
  AUTH_ISSUER: z.string().min(1).optional(),
  /** Comma-separated: a token is accepted when its `aud` names any of them (one service behind several audiences, or during a rename). */
  AUTH_AUDIENCE: z
    .string()
    .optional()
    .transform((v) => (v === undefined ? undefined : v.split(',').map((a) => a.trim()).filter(Boolean)))
    .refine((list) => list === undefined || list.length > 0, 'one or more audiences, comma-separated'),
  /** Leeway for exp/nbf against clock skew with the token issuer. */
  AUTH_CLOCK_TOLERANCE_MS: int(5000, 0, 300_000),
  /** JWKS: no refetch for an unknown kid sooner than this after the last fetch (rate limit). */
  AUTH_JWKS_COOLDOWN_MS: int(30_000, 0, 3_600_000),
  /** JWKS: refetched at least this often. */
  AUTH_JWKS_CACHE_MAX_AGE_MS: int(600_000, 1000, 86_400_000),
  AUTH_JWKS_TIMEOUT_MS: int(5000, 100, 60_000),
  /** With access control on, /metrics needs a counters:admin token unless this is off. */
  METRICS_AUTH: z.enum(['on', 'off']).default('on'),
  /** Operation limits (src/limits): every operation is checked against them before any resolver runs. */
  LIMIT_DEPTH: int(10, 1, 1000),
  LIMIT_ALIASES: int(50, 0, 100_000),
  LIMIT_COUNTERS_NAMES: int(1000, 1, 1_000_000),
  LIMIT_ADDCOUNTS_ITEMS: int(1000, 1, 1_000_000),
  LIMIT_COST: int(10_000, 1),
  /** Lexical tokens of one document (parsing stops there); large lists go as variables (~750 addCounts items fit inline). */
  LIMIT_TOKENS: int(10_000, 100, 10_000_000),
  /** Values (strings, numbers, objects, ...) of one JSON request body, counted before it is parsed; the default fits 1,000 addCounts items with tokens twice over. */
  LIMIT_JSON_VALUES: int(30_000, 100, 10_000_000),
  /** Field selections written in one document: bounds graphql-js's validation, whose overlap check compares repeated fields pairwise. */
  LIMIT_FIELDS: int(200, 1, 1_000_000),
  /** Introspection, "Did you mean" hints and `_service { sdl }`: on unless NODE_ENV=production (the explorer turns it on). */
  GRAPHQL_INTROSPECTION: z.enum(['true', 'false']).optional(),
  /** Browser origins allowed by CORS and on websocket upgrades: comma-separated exact origins. */
  ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .refine((list) => list.every(isOrigin), 'comma-separated origins such as https://app.example.com (scheme://host[:port], no path, no wildcard)'),
  /**
   * Hosts a router's HTTP subscription callback (`extensions.subscription.callbackUrl`) may
   * name: comma-separated `host` (any port) or `host:port`, or `*` for any host. Unset: any
   * host, except under NODE_ENV=production, where callbacks are refused until hosts are listed.
   */
  SUBSCRIPTION_CALLBACK_HOSTS: z
    .string()
    .optional()
    .transform((v) => (v === undefined ? undefined : v.split(',').map((h) => h.trim()).filter(Boolean)))
    .refine((list) => list === undefined || list.every(isCallbackHost), 'comma-separated host or host:port (no scheme, no path), or *'),
  /** TCP connections the HTTP server holds at once (websockets included); past it new ones are closed. */
  HTTP_MAX_CONNECTIONS: int(20_000, 1),
  /** Websocket connections at once; past it an upgrade is answered 503. */
  WS_MAX_CONNECTIONS: int(12_000, 1),
  /** A request's headers must arrive within this (slowloris); the whole request within the next. */
  HTTP_HEADERS_TIMEOUT_MS: int(10_000, 100, 600_000),
  HTTP_REQUEST_TIMEOUT_MS: int(30_000, 100, 3_600_000),
  /** A socket with no traffic this long in the middle of a request or response is closed. */
  HTTP_IDLE_TIMEOUT_MS: int(60_000, 100, 3_600_000),
  /** An idle keep-alive connection is closed after this (above a load balancer's 60 s idle timeout). */
  HTTP_KEEPALIVE_TIMEOUT_MS: int(65_000, 100, 600_000),
});

/** Settings whose values never appear in an error message or a log line. */
const SECRET_SETTINGS = new Set(['AUTH_JWT_SECRET', 'CASSANDRA_PASSWORD']);

/** host:port with a port in 1-65535 (an IPv6 host in brackets: [::1]:6379). */
function isHostPort(s: string): boolean {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(s);
  return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 65535;
}

/** An exact browser origin: scheme://host[:port] as browsers serialize it (lower case, no path). */
function isOrigin(o: string): boolean {
  try {
    const u = new URL(o);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === o;
  } catch {
    return false;
  }
}

/** `*`, or a host with an optional port as a URL reads it (any case; IPv6 in brackets; no wildcards). */
function isCallbackHost(h: string): boolean {
  if (h === '*') return true;
  if (h.includes('*')) return false;
  try {
    const u = new URL(`http://${h}`);
    // URL drops the scheme's default port: `host:80` reads back as `host`.
    const host = h.toLowerCase();
    return (u.host === host || `${u.host}:80` === host) && u.pathname === '/' && u.username === '' && !u.search && !u.hash;
  } catch {
    return false;
  }
}

export type Config = ReturnType<typeof toConfig>;

function toConfig(env: z.infer<typeof envSchema>) {
  const cassandraConsistency = env.CASSANDRA_CONSISTENCY ?? (env.CASSANDRA_REPLICATION_FACTOR >= 3 ? 'LOCAL_QUORUM' : 'LOCAL_ONE');
  return {
    port: env.PORT,
    host: env.HOST,
    heapGrowingPercent: env.HEAP_GROWING_PERCENT,
    logLevel: env.LOG_LEVEL,
    store: env.COUNTER_STORE,
    dataDir: path.resolve(env.COUNTER_DATA_DIR),
    namespacesFile: env.COUNTER_NAMESPACES_FILE ? path.resolve(env.COUNTER_NAMESPACES_FILE) : undefined,
    namespaceDeleteGraceMs: env.NAMESPACE_DELETE_GRACE_MS,
    sqliteSynchronous: env.COUNTER_SQLITE_SYNCHRONOUS,
    sqliteWriterCacheMb: env.COUNTER_SQLITE_WRITER_CACHE_MB,
    cassandra: {
      contactPoints: env.CASSANDRA_CONTACT_POINTS.split(',').map((s) => s.trim()).filter(Boolean),
      localDataCenter: env.CASSANDRA_LOCAL_DC,
      keyspace: env.CASSANDRA_KEYSPACE,
      replicationFactor: env.CASSANDRA_REPLICATION_FACTOR,
      readConsistency: env.CASSANDRA_READ_CONSISTENCY ?? cassandraConsistency,
      writeConsistency: env.CASSANDRA_WRITE_CONSISTENCY ?? cassandraConsistency,
      retries: env.CASSANDRA_RETRIES,
      speculativeDelayMs: env.CASSANDRA_SPECULATIVE_DELAY_MS,
      speculativeExecutions: env.CASSANDRA_SPECULATIVE_DELAY_MS === 0 ? 0 : env.CASSANDRA_SPECULATIVE_EXECUTIONS,
      username: env.CASSANDRA_USERNAME,
      password: env.CASSANDRA_PASSWORD,
      secondsPerBucket: env.CASSANDRA_SECONDS_PER_BUCKET,
      bucketsPerId: env.CASSANDRA_BUCKETS_PER_ID,
      pendingShards: env.CASSANDRA_PENDING_SHARDS,
      concurrency: env.CASSANDRA_CONCURRENCY,
    },
    redisUrl: env.REDIS_URL,
    /** Seeds of a Redis Cluster (REDIS_CLUSTER_NODES); never set together with redisUrl. */
    redisClusterNodes: env.REDIS_CLUSTER_NODES?.map((hp) => {
      const i = hp.lastIndexOf(':');
      return { host: hp.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(hp.slice(i + 1)) };
    }),
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    redisCommandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
    redisConnectTimeoutMs: env.REDIS_CONNECT_TIMEOUT_MS,
    redisSocketTimeoutMs: env.REDIS_SOCKET_TIMEOUT_MS,
    readyzTimeoutMs: env.READYZ_TIMEOUT_MS,
    rollup: {
      queues: env.ROLLUP_QUEUES,
      queueCapacity: env.ROLLUP_QUEUE_CAPACITY,
      coalesceMs: env.ROLLUP_COALESCE_MS,
      batchMin: env.ROLLUP_BATCH_MIN,
      batchMax: env.ROLLUP_BATCH_MAX,
      batchTargetMs: env.ROLLUP_BATCH_TARGET_MS,
      skewMarginMs: env.ROLLUP_SKEW_MARGIN_MS,
      sweepIntervalMs: env.ROLLUP_SWEEP_INTERVAL_MS,
      readRefreshMs: env.ROLLUP_READ_REFRESH_MS,
      localCacheSize: env.ROLLUP_LOCAL_CACHE_SIZE,
      purgeIntervalMs: env.ROLLUP_PURGE_INTERVAL_MS,
    },
    publishThrottleMs: env.PUBLISH_THROTTLE_MS,
    bestEffortMaxCounters: env.BEST_EFFORT_MAX_COUNTERS,
    bestEffortMaxIdempotencyKeys: env.BEST_EFFORT_MAX_IDEMPOTENCY_KEYS,
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
    /** `['*']`: any host; `[]`: HTTP subscription callbacks refused. */
    callbackHosts: env.SUBSCRIPTION_CALLBACK_HOSTS ?? (env.NODE_ENV === 'production' ? [] : ['*']),
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
    tracing: { enabled: env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined, endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: env.OTEL_SERVICE_NAME },
    // Off by default where introspection is (the page cannot show a schema it may not read).
    explorer: env.GRAPHQL_EXPLORER === undefined ? env.NODE_ENV !== 'production' && env.GRAPHQL_INTROSPECTION !== 'false' : env.GRAPHQL_EXPLORER === 'true',
    auth: {
      jwtSecret: env.AUTH_JWT_SECRET,
      jwksUrl: env.AUTH_JWKS_URL,
      issuer: env.AUTH_ISSUER,
      audience: env.AUTH_AUDIENCE,
      clockToleranceMs: env.AUTH_CLOCK_TOLERANCE_MS,
      jwksCooldownMs: env.AUTH_JWKS_COOLDOWN_MS,
      jwksCacheMaxAgeMs: env.AUTH_JWKS_CACHE_MAX_AGE_MS,
      jwksTimeoutMs: env.AUTH_JWKS_TIMEOUT_MS,
      metrics: env.METRICS_AUTH === 'on',
    },
    limits: {
      depth: env.LIMIT_DEPTH,
      aliases: env.LIMIT_ALIASES,
      countersNames: env.LIMIT_COUNTERS_NAMES,
      addCountsItems: env.LIMIT_ADDCOUNTS_ITEMS,
      cost: env.LIMIT_COST,
      tokens: env.LIMIT_TOKENS,
      jsonValues: env.LIMIT_JSON_VALUES,
      fields: env.LIMIT_FIELDS,
    },
    nodeEnv: env.NODE_ENV,
    /** Introspection, "Did you mean" hints and `_service { sdl }`: on unless NODE_ENV=production; GRAPHQL_INTROSPECTION overrides; the explorer turns it on. */
    introspection:
      env.GRAPHQL_INTROSPECTION !== undefined ? env.GRAPHQL_INTROSPECTION === 'true' : env.GRAPHQL_EXPLORER === 'true' || env.NODE_ENV !== 'production',
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
    const shown = (key: string): string => (SECRET_SETTINGS.has(key) ? '<redacted>' : JSON.stringify(raw[key]));
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}=${shown(String(i.path[0]))}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const cfg = toConfig(parsed.data);
  if (cfg.rollup.batchMin > cfg.rollup.batchMax) {
    throw new ConfigError(`invalid configuration: ROLLUP_BATCH_MIN (${cfg.rollup.batchMin}) > ROLLUP_BATCH_MAX (${cfg.rollup.batchMax})`);
  }
  checkAuth(cfg.auth);
  if (cfg.redisUrl !== undefined && cfg.redisClusterNodes !== undefined) {
    throw new ConfigError('invalid configuration: set REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both');
  }
  if (parsed.data.GRAPHQL_EXPLORER === 'true' && parsed.data.GRAPHQL_INTROSPECTION === 'false') {
    throw new ConfigError('invalid configuration: GRAPHQL_EXPLORER=true needs introspection, but GRAPHQL_INTROSPECTION=false');
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

/**
 * One source of keys, never two: a service that accepted both a shared secret and an
 * identity provider's keys would have two ways in to audit. AUTH_ISSUER/AUTH_AUDIENCE without
 * a key source would look like access control while none is on.
 */
function checkAuth(auth: Config['auth']): void {
  if (auth.jwtSecret !== undefined && auth.jwksUrl !== undefined) {
    throw new ConfigError('invalid configuration: set AUTH_JWT_SECRET (HS256) or AUTH_JWKS_URL (JWKS), not both');
  }
  if (auth.jwtSecret === undefined && auth.jwksUrl === undefined) {
    const stray = (['issuer', 'audience'] as const).filter((k) => auth[k] !== undefined).map((k) => (k === 'issuer' ? 'AUTH_ISSUER' : 'AUTH_AUDIENCE'));
    if (stray.length > 0) {
      throw new ConfigError(`invalid configuration: ${stray.join(' and ')} set, but access control is off: set AUTH_JWT_SECRET or AUTH_JWKS_URL too`);
    }
  }
}
