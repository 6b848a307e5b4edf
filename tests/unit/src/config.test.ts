import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config';

const fails = (overrides: Record<string, string>): string => {
  try {
    loadConfig({}, overrides);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(overrides)}`);
};

describe('loadConfig', () => {
  it('has the documented defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c.port).toBe(4000);
    expect(c.host).toBe('0.0.0.0');
    expect(c.store).toBe('embedded');
    expect(c.dataDir.endsWith('/data')).toBe(true);
    expect(c.sqliteSynchronous).toBe('FULL');
    expect(c.rollup).toMatchObject({ queues: 8, queueCapacity: 16384, coalesceMs: 25, skewMarginMs: 1000, sweepIntervalMs: 1000, readRefreshMs: 5000 });
    expect(c.cassandra).toMatchObject({ contactPoints: ['127.0.0.1:9042'], localDataCenter: 'datacenter1', keyspace: 'counters' });
    expect(c.redisUrl).toBeUndefined();
  });

  it('reads the environment, and overrides win over it', () => {
    const c = loadConfig({ PORT: '5000', ROLLUP_SKEW_MARGIN_MS: '200', CASSANDRA_CONTACT_POINTS: 'a:1, b:2' }, { PORT: 0 });
    expect(c.port).toBe(0);
    expect(c.rollup.skewMarginMs).toBe(200);
    expect(c.cassandra.contactPoints).toEqual(['a:1', 'b:2']);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '' }).port).toBe(4000);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '1.5'],
    ['COUNTER_STORE', 'postgres'],
    ['COUNTER_SQLITE_SYNCHRONOUS', 'OFF'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['CASSANDRA_KEYSPACE', '1bad-name'],
    ['ROLLUP_QUEUES', '0'],
    ['ROLLUP_SWEEP_INTERVAL_MS', '5'],
    ['LOG_LEVEL', 'verbose'],
    ['SHUTDOWN_TIMEOUT_MS', '-1'],
  ])('a bad %s (%j) stops the start with a message naming it and its value', (name, value) => {
    const msg = fails({ [name]: value });
    expect(msg).toContain(name);
    expect(msg).toContain(JSON.stringify(value));
  });

  it('names every bad variable at once', () => {
    const msg = fails({ PORT: 'x', ROLLUP_QUEUES: '-3' });
    expect(msg).toContain('PORT');
    expect(msg).toContain('ROLLUP_QUEUES');
  });

  it('names both sides of an inconsistent batch range', () => {
    const msg = fails({ ROLLUP_BATCH_MIN: '100', ROLLUP_BATCH_MAX: '10' });
    expect(msg).toContain('ROLLUP_BATCH_MIN');
    expect(msg).toContain('ROLLUP_BATCH_MAX');
  });
});

/** Reads a dotted path of the config. */
const at = (cfg: unknown, p: string): unknown => p.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], cfg);

/** Every integer variable: [name, config path, default, min, max or null for unbounded]. */
const INTS: [string, string, number, number, number | null][] = [
  ['PORT', 'port', 4000, 0, 65535],
  ['HEAP_GROWING_PERCENT', 'heapGrowingPercent', 100, 0, 1000],
  ['CASSANDRA_REPLICATION_FACTOR', 'cassandra.replicationFactor', 1, 1, 9],
  ['CASSANDRA_SECONDS_PER_BUCKET', 'cassandra.secondsPerBucket', 600, 1, 86_400],
  ['CASSANDRA_BUCKETS_PER_ID', 'cassandra.bucketsPerId', 4, 1, 64],
  ['CASSANDRA_PENDING_SHARDS', 'cassandra.pendingShards', 16, 1, 1024],
  ['CASSANDRA_CONCURRENCY', 'cassandra.concurrency', 64, 1, 2048],
  ['CASSANDRA_RETRIES', 'cassandra.retries', 2, 0, 10],
  ['CASSANDRA_SPECULATIVE_DELAY_MS', 'cassandra.speculativeDelayMs', 500, 0, 60_000],
  ['CASSANDRA_SPECULATIVE_EXECUTIONS', 'cassandra.speculativeExecutions', 1, 0, 8],
  ['ROLLUP_QUEUES', 'rollup.queues', 8, 1, 1024],
  ['ROLLUP_QUEUE_CAPACITY', 'rollup.queueCapacity', 16384, 1, null],
  ['ROLLUP_COALESCE_MS', 'rollup.coalesceMs', 25, 0, 60_000],
  ['ROLLUP_BATCH_MIN', 'rollup.batchMin', 16, 1, null],
  ['ROLLUP_BATCH_MAX', 'rollup.batchMax', 512, 1, null],
  ['ROLLUP_BATCH_TARGET_MS', 'rollup.batchTargetMs', 25, 1, null],
  ['ROLLUP_SKEW_MARGIN_MS', 'rollup.skewMarginMs', 1000, 0, 600_000],
  ['ROLLUP_SWEEP_INTERVAL_MS', 'rollup.sweepIntervalMs', 1000, 10, null],
  ['ROLLUP_LOCAL_CACHE_SIZE', 'rollup.localCacheSize', 200_000, 100, null],
  ['PUBLISH_THROTTLE_MS', 'publishThrottleMs', 50, 0, 60_000],
  ['WS_MAX_SUBSCRIPTIONS_PER_CONNECTION', 'ws.maxSubscriptionsPerConnection', 100, 1, null],
  ['WS_KEEPALIVE_MS', 'ws.keepAliveMs', 12_000, 0, null],
  ['WS_CONNECTION_INIT_TIMEOUT_MS', 'ws.connectionInitTimeoutMs', 10_000, 100, null],
  ['SHUTDOWN_TIMEOUT_MS', 'shutdownTimeoutMs', 10_000, 0, null],
  ['HTTP_MAX_BODY_BYTES', 'http.maxBodyBytes', 1024 * 1024, 1024, 256 * 1024 * 1024],
  ['LIMIT_DEPTH', 'limits.depth', 10, 1, 1000],
  ['LIMIT_ALIASES', 'limits.aliases', 50, 0, 100_000],
  ['LIMIT_COUNTERS_NAMES', 'limits.countersNames', 1000, 1, 1_000_000],
  ['LIMIT_ADDCOUNTS_ITEMS', 'limits.addCountsItems', 1000, 1, 1_000_000],
  ['LIMIT_COST', 'limits.cost', 10_000, 1, null],
  ['LIMIT_TOKENS', 'limits.tokens', 10_000, 100, 10_000_000],
  ['LIMIT_JSON_VALUES', 'limits.jsonValues', 30_000, 100, 10_000_000],
  ['LIMIT_FIELDS', 'limits.fields', 200, 1, 1_000_000],
];

/** Every enum variable: [name, config path, default, accepted values]. */
const ENUMS: [string, string, string, string[]][] = [
  ['LOG_LEVEL', 'logLevel', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']],
  ['COUNTER_STORE', 'store', 'embedded', ['embedded', 'cassandra']],
  ['COUNTER_SQLITE_SYNCHRONOUS', 'sqliteSynchronous', 'FULL', ['FULL', 'NORMAL']],
  ...(['CASSANDRA_READ_CONSISTENCY', 'CASSANDRA_WRITE_CONSISTENCY'] as const).map(
    (v): [string, string, string, string[]] => [
      v,
      v === 'CASSANDRA_READ_CONSISTENCY' ? 'cassandra.readConsistency' : 'cassandra.writeConsistency',
      'LOCAL_ONE',
      ['ONE', 'TWO', 'THREE', 'QUORUM', 'ALL', 'LOCAL_QUORUM', 'EACH_QUORUM', 'LOCAL_ONE'],
    ],
  ),
];

describe('loadConfig, integer variables', () => {
  it.each(INTS)('%s defaults to %s (%s)', (name, p, def) => {
    expect(at(loadConfig({}), p)).toBe(def);
  });

  it.each(INTS)('%s (%s) accepts its bounds', (name, p, _def, min, max) => {
    // Keep the batch range consistent when one of its ends is pushed to a bound.
    const low = name === 'ROLLUP_BATCH_MAX' ? { ROLLUP_BATCH_MIN: '1' } : {};
    expect(at(loadConfig({ [name]: String(min), ...low }), p)).toBe(min);
    const top = max ?? Number.MAX_SAFE_INTEGER;
    const high = name === 'ROLLUP_BATCH_MIN' ? { ROLLUP_BATCH_MAX: String(top) } : {};
    expect(at(loadConfig({ [name]: String(top), ...high }), p)).toBe(top);
  });

  it.each(INTS)('%s refuses one below its minimum, naming the variable and value', (name, _p, _def, min) => {
    const msg = fails({ [name]: String(min - 1) });
    expect(msg).toContain(name);
    expect(msg).toContain(JSON.stringify(String(min - 1)));
  });

  it.each(INTS.filter(([, , , , max]) => max !== null))('%s refuses one above its maximum', (name, _p, _def, _min, max) => {
    const msg = fails({ [name]: String(max! + 1) });
    expect(msg).toContain(name);
    expect(msg).toContain(JSON.stringify(String(max! + 1)));
  });

  it.each(INTS.map(([name]) => name))('%s refuses a fraction and a word', (name) => {
    expect(fails({ [name]: '2.5' })).toContain(`${name}="2.5"`);
    expect(fails({ [name]: 'ten' })).toContain(`${name}="ten"`);
  });

  // Number(' ') is 0: zod's coercion turns a blank variable into a silent 0 (PORT=' ' would
  // listen on a random port, ROLLUP_SKEW_MARGIN_MS=' ' would tolerate no skew at all).
  it('refuses a blank (whitespace-only) value instead of reading it as 0', () => {
    expect(fails({ ROLLUP_SKEW_MARGIN_MS: ' ' })).toContain('ROLLUP_SKEW_MARGIN_MS');
  });
});

describe('loadConfig, enum variables', () => {
  it.each(ENUMS)('%s defaults to %s (%s)', (name, p, def) => {
    expect(at(loadConfig({}), p)).toBe(def);
  });

  it.each(ENUMS)('%s (%s) accepts each of its values', (name, p, _def, values) => {
    for (const v of values) expect(at(loadConfig({ [name]: v }), p)).toBe(v);
  });

  it.each(ENUMS)('%s is case-sensitive and refuses other values', (name, _p, def) => {
    const other = def === def.toLowerCase() ? def.toUpperCase() : def.toLowerCase();
    const msg = fails({ [name]: other });
    expect(msg).toContain(name);
    expect(msg).toContain(JSON.stringify(other));
  });
});

describe('loadConfig, Cassandra consistency', () => {
  const levels = (env: Record<string, string>) => {
    const c = loadConfig(env).cassandra;
    return [c.readConsistency, c.writeConsistency];
  };

  it('defaults to LOCAL_ONE below a replication factor of 3 and LOCAL_QUORUM from 3 on', () => {
    expect(levels({})).toEqual(['LOCAL_ONE', 'LOCAL_ONE']);
    expect(levels({ CASSANDRA_REPLICATION_FACTOR: '2' })).toEqual(['LOCAL_ONE', 'LOCAL_ONE']);
    expect(levels({ CASSANDRA_REPLICATION_FACTOR: '3' })).toEqual(['LOCAL_QUORUM', 'LOCAL_QUORUM']);
    expect(levels({ CASSANDRA_REPLICATION_FACTOR: '5' })).toEqual(['LOCAL_QUORUM', 'LOCAL_QUORUM']);
  });

  it('CASSANDRA_CONSISTENCY sets both; the read and write settings override it one side each', () => {
    expect(levels({ CASSANDRA_CONSISTENCY: 'QUORUM' })).toEqual(['QUORUM', 'QUORUM']);
    expect(levels({ CASSANDRA_REPLICATION_FACTOR: '3', CASSANDRA_READ_CONSISTENCY: 'LOCAL_ONE' })).toEqual(['LOCAL_ONE', 'LOCAL_QUORUM']);
    expect(levels({ CASSANDRA_CONSISTENCY: 'ONE', CASSANDRA_WRITE_CONSISTENCY: 'ALL' })).toEqual(['ONE', 'ALL']);
    expect(fails({ CASSANDRA_CONSISTENCY: 'local_quorum' })).toContain('CASSANDRA_CONSISTENCY');
  });

  it('CASSANDRA_SPECULATIVE_DELAY_MS=0 turns speculative execution off', () => {
    expect(loadConfig({ CASSANDRA_SPECULATIVE_DELAY_MS: '0' }).cassandra.speculativeExecutions).toBe(0);
  });
});

describe('loadConfig, string variables', () => {
  it('HOST is taken as given', () => {
    expect(loadConfig({ HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
  });

  it('COUNTER_DATA_DIR and COUNTER_NAMESPACES_FILE are resolved to absolute paths', () => {
    const c = loadConfig({ COUNTER_DATA_DIR: 'some/dir', COUNTER_NAMESPACES_FILE: 'ns.json' });
    expect(c.dataDir).toBe(`${process.cwd()}/some/dir`);
    expect(c.namespacesFile).toBe(`${process.cwd()}/ns.json`);
    expect(loadConfig({ COUNTER_DATA_DIR: '/abs/x' }).dataDir).toBe('/abs/x');
    expect(loadConfig({}).namespacesFile).toBeUndefined();
  });

  it('CASSANDRA_CONTACT_POINTS is split on commas, blanks dropped', () => {
    expect(loadConfig({ CASSANDRA_CONTACT_POINTS: 'h1:9042,,  h2:9043 ,' }).cassandra.contactPoints).toEqual(['h1:9042', 'h2:9043']);
  });

  it('CASSANDRA_LOCAL_DC, CASSANDRA_USERNAME and CASSANDRA_PASSWORD are taken as given, credentials unset by default', () => {
    const c = loadConfig({ CASSANDRA_LOCAL_DC: 'eu-west', CASSANDRA_USERNAME: 'u', CASSANDRA_PASSWORD: 'p w' });
    expect(c.cassandra).toMatchObject({ localDataCenter: 'eu-west', username: 'u', password: 'p w' });
    expect(loadConfig({}).cassandra).toMatchObject({ username: undefined, password: undefined });
  });

  it.each(['a', 'counters_2', 'A' + 'b'.repeat(47)])('CASSANDRA_KEYSPACE accepts the identifier %j', (ks) => {
    expect(loadConfig({ CASSANDRA_KEYSPACE: ks }).cassandra.keyspace).toBe(ks);
  });

  it.each(['_x', 'a-b', 'a'.repeat(49), 'ks.t'])('CASSANDRA_KEYSPACE refuses %j, saying what it expects', (ks) => {
    const msg = fails({ CASSANDRA_KEYSPACE: ks });
    expect(msg).toContain(`CASSANDRA_KEYSPACE=${JSON.stringify(ks)}`);
    expect(msg).toContain('a Cassandra identifier');
  });

  it.each(['redis://127.0.0.1:6379', 'rediss://user:pw@host:6380/2'])('REDIS_URL accepts %j', (url) => {
    expect(loadConfig({ REDIS_URL: url }).redisUrl).toBe(url);
  });

  it('REDIS_URL refuses another scheme, saying what it expects', () => {
    expect(fails({ REDIS_URL: 'localhost:6379' })).toContain('a redis:// or rediss:// URL');
  });

  it('REDIS_CLUSTER_NODES is unset by default and reads comma-separated host:port seeds', () => {
    expect(loadConfig({}).redisClusterNodes).toBeUndefined();
    expect(loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:6381, redis-b.internal:6382,[::1]:6383' }).redisClusterNodes).toEqual([
      { host: '127.0.0.1', port: 6381 },
      { host: 'redis-b.internal', port: 6382 },
      { host: '::1', port: 6383 },
    ]);
  });

  it.each(['127.0.0.1', 'redis://127.0.0.1:6381', 'host:0', 'host:70000', ',', 'a:1,b'])('REDIS_CLUSTER_NODES refuses %j, saying what it expects', (v) => {
    const msg = fails({ REDIS_CLUSTER_NODES: v });
    expect(msg).toContain('REDIS_CLUSTER_NODES');
    expect(msg).toContain('host:port');
  });

  it('refuses REDIS_URL and REDIS_CLUSTER_NODES together', () => {
    expect(fails({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: '127.0.0.1:6381' })).toContain('REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both');
  });

  it('REDIS_KEY_PREFIX defaults to "counters:", takes up to 100 characters and refuses more', () => {
    expect(loadConfig({}).redisKeyPrefix).toBe('counters:');
    expect(loadConfig({ REDIS_KEY_PREFIX: 'p'.repeat(100) }).redisKeyPrefix).toBe('p'.repeat(100));
    expect(fails({ REDIS_KEY_PREFIX: 'p'.repeat(101) })).toContain('REDIS_KEY_PREFIX');
  });
});

describe('loadConfig, access control (AUTH_*, METRICS_AUTH)', () => {
  const SECRET = 's'.repeat(32);

  it('is off by default, with the documented tuning defaults', () => {
    expect(loadConfig({}).auth).toEqual({
      jwtSecret: undefined,
      jwksUrl: undefined,
      issuer: undefined,
      audience: undefined,
      clockToleranceMs: 5000,
      jwksCooldownMs: 30_000,
      jwksCacheMaxAgeMs: 600_000,
      jwksTimeoutMs: 5000,
      metrics: true,
    });
  });

  it('takes a secret of 32 bytes or more, or a JWKS URL, with an issuer and audience', () => {
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET, AUTH_ISSUER: 'https://idp', AUTH_AUDIENCE: 'counters' }).auth).toMatchObject({
      jwtSecret: SECRET,
      issuer: 'https://idp',
      audience: ['counters'],
    });
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET, AUTH_AUDIENCE: ' counters, counters-v2 ,' }).auth.audience).toEqual(['counters', 'counters-v2']);
    expect(fails({ AUTH_JWT_SECRET: SECRET, AUTH_AUDIENCE: ' , ' })).toContain('AUTH_AUDIENCE');
    expect(loadConfig({ AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json' }).auth.jwksUrl).toBe('https://idp.example/.well-known/jwks.json');
    expect(loadConfig({ AUTH_JWKS_URL: 'http://127.0.0.1:8080/jwks' }).auth.jwksUrl).toBe('http://127.0.0.1:8080/jwks');
    expect(loadConfig({ METRICS_AUTH: 'off' }).auth.metrics).toBe(false);
  });

  it('refuses a short secret without ever showing it', () => {
    const short = 'tooshort-secret-value';
    const msg = fails({ AUTH_JWT_SECRET: short });
    expect(msg).toContain('AUTH_JWT_SECRET');
    expect(msg).toContain('32 bytes');
    expect(msg).not.toContain(short);
  });

  it('counts the secret in bytes, not characters', () => {
    expect(loadConfig({ AUTH_JWT_SECRET: '\u00e9'.repeat(16) }).auth.jwtSecret).toHaveLength(16);
    expect(fails({ AUTH_JWT_SECRET: '\u00e9'.repeat(15) })).toContain('AUTH_JWT_SECRET');
  });

  it.each(['idp.example/jwks', 'ftp://idp.example/jwks', 'file:///etc/jwks.json', 'not a url'])('refuses AUTH_JWKS_URL %j', (url) => {
    expect(fails({ AUTH_JWKS_URL: url })).toContain('an http:// or https:// URL');
  });

  it('refuses a secret and a JWKS URL together', () => {
    const msg = fails({ AUTH_JWT_SECRET: SECRET, AUTH_JWKS_URL: 'https://idp/jwks' });
    expect(msg).toContain('AUTH_JWT_SECRET');
    expect(msg).toContain('AUTH_JWKS_URL');
    expect(msg).toContain('not both');
    expect(msg).not.toContain(SECRET);
  });

  it('refuses AUTH_ISSUER or AUTH_AUDIENCE while access control is off', () => {
    expect(fails({ AUTH_ISSUER: 'https://idp' })).toMatch(/AUTH_ISSUER set, but access control is off/);
    expect(fails({ AUTH_AUDIENCE: 'x', AUTH_ISSUER: 'y' })).toMatch(/AUTH_ISSUER and AUTH_AUDIENCE/);
  });

  it.each<[string, string, number, number]>([
    ['AUTH_CLOCK_TOLERANCE_MS', 'clockToleranceMs', 0, 300_000],
    ['AUTH_JWKS_COOLDOWN_MS', 'jwksCooldownMs', 0, 3_600_000],
    ['AUTH_JWKS_CACHE_MAX_AGE_MS', 'jwksCacheMaxAgeMs', 1000, 86_400_000],
    ['AUTH_JWKS_TIMEOUT_MS', 'jwksTimeoutMs', 100, 60_000],
  ])('%s accepts its bounds and refuses past them', (name, key, min, max) => {
    expect((loadConfig({ [name]: String(min) }).auth as Record<string, unknown>)[key]).toBe(min);
    expect((loadConfig({ [name]: String(max) }).auth as Record<string, unknown>)[key]).toBe(max);
    expect(fails({ [name]: String(min - 1) })).toContain(name);
    expect(fails({ [name]: String(max + 1) })).toContain(name);
    expect(fails({ [name]: '1.5' })).toContain(name);
  });

  it('METRICS_AUTH is on or off, nothing else', () => {
    expect(fails({ METRICS_AUTH: 'false' })).toContain('METRICS_AUTH');
    expect(fails({ METRICS_AUTH: 'ON' })).toContain('METRICS_AUTH');
  });
});

describe('loadConfig, overrides and consistency', () => {
  it('an override of undefined falls back to the default, not to the environment', () => {
    expect(loadConfig({ PORT: '5000' }, { PORT: undefined }).port).toBe(4000);
  });

  it('ignores variables it does not know', () => {
    expect(() => loadConfig({ SOMETHING_ELSE: 'x', PORTS: 'y' })).not.toThrow();
  });

  it('accepts an equal batch minimum and maximum', () => {
    expect(loadConfig({ ROLLUP_BATCH_MIN: '64', ROLLUP_BATCH_MAX: '64' }).rollup).toMatchObject({ batchMin: 64, batchMax: 64 });
  });

  it('checks the batch range against the defaults too, naming the values', () => {
    const msg = fails({ ROLLUP_BATCH_MIN: '513' });
    expect(msg).toContain('ROLLUP_BATCH_MIN (513)');
    expect(msg).toContain('ROLLUP_BATCH_MAX (512)');
  });

  it('reads ALLOWED_ORIGINS as exact origins, spaces trimmed, none by default', () => {
    expect(loadConfig({}).transport.allowedOrigins).toEqual([]);
    expect(loadConfig({ ALLOWED_ORIGINS: ' https://app.example.com , http://localhost:3000,' }).transport.allowedOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:3000',
    ]);
  });

  it.each(['*', 'app.example.com', 'https://app.example.com/', 'https://app.example.com/path', 'ftp://x.example', 'https://APP.example.com', 'null'])(
    'refuses %s as an origin',
    (o) => expect(fails({ ALLOWED_ORIGINS: `https://ok.example, ${o}` })).toContain('ALLOWED_ORIGINS'),
  );

  it('reads SUBSCRIPTION_CALLBACK_HOSTS: any host by default, none under production, a list when set', () => {
    expect(loadConfig({}).callbackHosts).toEqual(['*']);
    expect(loadConfig({ NODE_ENV: 'production' }).callbackHosts).toEqual([]);
    expect(loadConfig({ NODE_ENV: 'production', SUBSCRIPTION_CALLBACK_HOSTS: ' router.internal , 10.0.0.5:4000,[::1]:80' }).callbackHosts).toEqual([
      'router.internal',
      '10.0.0.5:4000',
      '[::1]:80',
    ]);
  });

  it.each(['http://router', 'router/cb', 'user@router', 'router:99999', 'router?x', '*.internal'])('refuses %s as a callback host', (h) =>
    expect(fails({ SUBSCRIPTION_CALLBACK_HOSTS: `ok.internal,${h}` })).toContain('SUBSCRIPTION_CALLBACK_HOSTS'),
  );

  it('bounds the HTTP timeouts and connection caps, with safe defaults', () => {
    expect(loadConfig({}).transport).toMatchObject({
      maxConnections: 20_000,
      maxWebSockets: 12_000,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      idleTimeoutMs: 60_000,
      keepAliveTimeoutMs: 65_000,
    });
    expect(fails({ HTTP_HEADERS_TIMEOUT_MS: '40000', HTTP_REQUEST_TIMEOUT_MS: '30000' })).toContain('HTTP_HEADERS_TIMEOUT_MS (40000) > HTTP_REQUEST_TIMEOUT_MS (30000)');
    expect(fails({ WS_MAX_CONNECTIONS: '30000' })).toContain('WS_MAX_CONNECTIONS (30000) > HTTP_MAX_CONNECTIONS (20000)');
    expect(fails({ HTTP_MAX_CONNECTIONS: '0' })).toContain('HTTP_MAX_CONNECTIONS');
    expect(fails({ HTTP_HEADERS_TIMEOUT_MS: '0' })).toContain('HTTP_HEADERS_TIMEOUT_MS');
  });

  it('knows production from NODE_ENV', () => {
    expect(loadConfig({}).production).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production' }).production).toBe(true);
  });

  it('puts one line per bad variable in the message', () => {
    const msg = fails({ PORT: 'x', ROLLUP_QUEUES: '0', LOG_LEVEL: 'loud' });
    expect(msg.split('\n').slice(1)).toHaveLength(3);
  });
});

describe('loadConfig, GRAPHQL_EXPLORER', () => {
  it.each([
    [{}, true],
    [{ NODE_ENV: 'development' }, true],
    [{ NODE_ENV: 'test' }, true],
    [{ NODE_ENV: 'production' }, false],
    [{ NODE_ENV: 'production', GRAPHQL_EXPLORER: 'true' }, true],
    [{ GRAPHQL_EXPLORER: 'false' }, false],
    [{ NODE_ENV: 'development', GRAPHQL_EXPLORER: 'false' }, false],
  ])('%j: explorer %s', (env, on) => {
    expect(loadConfig(env).explorer).toBe(on);
  });

  it('an override of NODE_ENV wins over the environment, as for every setting', () => {
    expect(loadConfig({ NODE_ENV: 'production' }, { NODE_ENV: 'test' }).explorer).toBe(true);
  });

  it.each(['yes', '1', 'TRUE', 'off'])('refuses %j, naming the variable', (v) => {
    const msg = fails({ GRAPHQL_EXPLORER: v });
    expect(msg).toContain(`GRAPHQL_EXPLORER=${JSON.stringify(v)}`);
  });
});

describe('README documents every setting', () => {
  it('names each variable of the validated configuration in its settings table', () => {
    const root = path.resolve(__dirname, '..', '..', '..');
    const source = fs.readFileSync(path.join(root, 'src', 'config.ts'), 'utf8');
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const variables = [...source.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
    expect(variables.length).toBeGreaterThan(30);
    expect(variables.filter((v) => !readme.includes(`\`${v}\``))).toEqual([]);
  });
});

describe('the introspection policy', () => {
  it.each([
    [{}, true],
    [{ NODE_ENV: 'development' }, true],
    [{ NODE_ENV: 'test' }, true],
    [{ NODE_ENV: 'production' }, false],
    [{ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' }, true],
    [{ NODE_ENV: 'production', GRAPHQL_EXPLORER: 'true' }, true],
    [{ NODE_ENV: 'production', GRAPHQL_EXPLORER: 'false' }, false],
    [{ GRAPHQL_INTROSPECTION: 'false' }, false],
    [{ GRAPHQL_INTROSPECTION: 'false', GRAPHQL_EXPLORER: 'false' }, false],
  ])('%j: introspection %s', (env, on) => {
    expect(loadConfig({}, env).introspection).toBe(on);
  });

  it.each([['GRAPHQL_INTROSPECTION', 'yes'], ['GRAPHQL_EXPLORER', '1']])('a bad %s (%j) stops the start', (name, value) => {
    expect(fails({ [name]: value })).toContain(name);
  });

  it('refuses an explorer without introspection', () => {
    const msg = fails({ GRAPHQL_EXPLORER: 'true', GRAPHQL_INTROSPECTION: 'false' });
    expect(msg).toContain('GRAPHQL_EXPLORER');
    expect(msg).toContain('GRAPHQL_INTROSPECTION');
  });
});
