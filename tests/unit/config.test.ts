import { ConfigError, loadConfig } from '../../src/config';

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
    expect(c.rollup).toMatchObject({ queues: 8, queueCapacity: 16384, coalesceMs: 25, skewMarginMs: 1000, sweepIntervalMs: 1000 });
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
