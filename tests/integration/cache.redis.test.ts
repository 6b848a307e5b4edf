import type { Redis } from 'ioredis';
import { RedisBestEffortCache } from '../../src/cache/redis/bestEffort';
import { RedisConvergedCache } from '../../src/cache/redis/convergedCache';
import { cacheConformance } from './conformance/cache.conformance';
import { connectRedis, dropPrefix, freshPrefix } from './helpers/redis';

const prefix = freshPrefix();
const clients: Redis[] = [];

cacheConformance(
  'redis',
  async () => {
    const r = await connectRedis();
    clients.push(r);
    return { bestEffort: new RedisBestEffortCache(r, prefix), converged: new RedisConvergedCache(r, prefix) };
  },
  async () => {
    const r = clients.pop();
    if (!r) return;
    await dropPrefix(r, prefix);
    await r.quit();
  },
);

describe('redis caches: specifics', () => {
  it('leaves no key without an expiry behind a dedupe mark, and bounds converged entries by TTL', async () => {
    const r = await connectRedis();
    const p = freshPrefix();
    try {
      const be = new RedisBestEffortCache(r, p);
      const cc = new RedisConvergedCache(r, p, 60_000);
      await be.add({ ref: { namespace: 'n', name: 'x' }, delta: 1n, timeUs: Date.now() * 1000, ttlSeconds: null, dedupe: { key: 'k', ttlMs: 5000 } });
      await cc.setMany({ entries: [{ ref: { namespace: 'n', name: 'x' }, value: 1n }], asOfMs: 1 });
      const keys = (await r.keys(`${p}*`)).sort();
      expect(keys).toHaveLength(3);
      const ttls = await Promise.all(keys.map((k) => r.pttl(k)));
      // the best-effort counter has no TTL here (ttlSeconds null); the dedupe mark and the converged entry do
      expect(ttls.filter((t) => t === -1)).toHaveLength(1);
      expect(ttls.filter((t) => t > 0)).toHaveLength(2);
    } finally {
      await dropPrefix(r, p);
      await r.quit();
    }
  });
});

describe('redis key formats', () => {
  it('are those of existing deployments: be/dd/ru keys under the counter\'s {tag}, converged entries "<asOfMs>:<value>"', async () => {
    const r = await connectRedis();
    const p = freshPrefix();
    try {
      const ref = { namespace: 'n', name: 'x' };
      await new RedisBestEffortCache(r, p).add({ ref, delta: 7n, timeUs: Date.now() * 1000, ttlSeconds: null, dedupe: { key: 'k', ttlMs: 5000 } });
      await new RedisConvergedCache(r, p, 60_000).setMany({ entries: [{ ref, value: -3n }], asOfMs: 1234 });
      expect((await r.keys(`${p}*`)).sort()).toEqual([`${p}be:{1:n:x}`, `${p}dd:{1:n:x}:k`, `${p}ru:{1:n:x}`]);
      expect(await r.mget(`${p}be:{1:n:x}`, `${p}ru:{1:n:x}`)).toEqual(['7', '1234:-3']);
    } finally {
      await dropPrefix(r, p);
      await r.quit();
    }
  });
});

describe('redis best-effort clear watermark', () => {
  it('is a key of its own with an expiry, in the counter\'s hash slot, holding the µs time as given', async () => {
    const r = await connectRedis();
    const p = freshPrefix();
    try {
      const be = new RedisBestEffortCache(r, p);
      const ref = { namespace: 'n', name: 'x' };
      await be.add({ ref, delta: 5n, timeUs: Date.now() * 1000, ttlSeconds: null, dedupe: null });
      const clearUs = Date.now() * 1000 + 123;
      await be.clear({ ref, clearUs, watermarkTtlMs: 4000, dedupe: null });
      const keys = await r.keys(`${p}*`);
      expect(keys).toEqual([`${p}wm:{1:n:x}`]); // same {tag} as the counter (one cluster slot); the counter itself is gone
      expect(await r.get(keys[0]!)).toBe(String(clearUs));
      const pttl = await r.pttl(keys[0]!);
      expect(pttl).toBeGreaterThan(3000);
      expect(pttl).toBeLessThanOrEqual(4000);
    } finally {
      await dropPrefix(r, p);
      await r.quit();
    }
  });
});

describe('redis converged cache while Redis cannot be reached', () => {
  it('reads as misses and reports every entry changed, instead of failing the caller', async () => {
    const r = await connectRedis();
    const errors: unknown[] = [];
    const cc = new RedisConvergedCache(r, freshPrefix(), 60_000, (e) => errors.push(e));
    r.disconnect();
    await new Promise((res) => setTimeout(res, 50));
    const ref = { namespace: 'n', name: 'x' };
    let timer: NodeJS.Timeout | undefined;
    const [got, set] = await Promise.race([
      Promise.all([cc.get([ref, ref]), cc.setMany({ entries: [{ ref, value: 1n }], asOfMs: 1 })]),
      new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error('hung while Redis was away')), 5000))),
    ]).finally(() => clearTimeout(timer));
    expect(got).toEqual([undefined, undefined]);
    expect(set).toEqual({ changed: [true] });
    expect(errors.length).toBeGreaterThanOrEqual(2);
  });
});

describe('redis converged cache after a failed store', () => {
  it('reads a counter whose last value it could not store as a miss until a store succeeds (never the older value)', async () => {
    const r = await connectRedis();
    const p = freshPrefix();
    try {
      const cc = new RedisConvergedCache(r, p, 60_000, () => {}, 0);
      const ref = { namespace: 'n', name: 'x' };
      const other = { namespace: 'n', name: 'y' };
      await cc.setMany({ entries: [{ ref, value: 1n }, { ref: other, value: 7n }], asOfMs: 1 });
      r.disconnect();
      await new Promise((res) => setTimeout(res, 50));
      expect(await cc.setMany({ entries: [{ ref, value: 2n }], asOfMs: 2 })).toEqual({ changed: [true] });
      await r.connect();
      await new Promise((res) => setTimeout(res, 5));
      expect(await r.get(`${p}ru:{1:n:x}`)).toBe('1:1'); // Redis still holds the older value
      expect(await cc.get([ref, other])).toEqual([undefined, 7n]);
      await cc.setMany({ entries: [{ ref, value: 2n }], asOfMs: 3 });
      expect(await cc.get([ref, other])).toEqual([2n, 7n]);
    } finally {
      await dropPrefix(r, p);
      await r.quit();
    }
  });
});

describe('redis converged cache after a failure', () => {
  it('skips Redis for retryAfterMs (answers at once as misses), then one call probes and its success ends it', async () => {
    const [r, probe] = await Promise.all([connectRedis(), connectRedis()]);
    const p = freshPrefix();
    const errors: unknown[] = [];
    try {
      const cc = new RedisConvergedCache(r, p, 60_000, (e) => errors.push(e), 300);
      const ref = { namespace: 'n', name: 'x' };
      await cc.setMany({ entries: [{ ref, value: 1n }], asOfMs: 1 });
      r.disconnect();
      await new Promise((res) => setTimeout(res, 50));
      expect(await cc.get([ref])).toEqual([undefined]);
      expect(errors).toHaveLength(1);
      await r.connect();
      // Redis is back, but the cache does not ask it yet: no command, no error, a miss.
      const id = String(await r.client('ID'));
      expect(await cc.get([ref])).toEqual([undefined]);
      expect(await cc.setMany({ entries: [{ ref, value: 2n }], asOfMs: 2 })).toEqual({ changed: [true] });
      const last = String(await probe.client('LIST', 'ID', id));
      expect(last).toContain('cmd=client|id'); // the connection's last command is still ours
      expect(errors).toHaveLength(1);
      await new Promise((res) => setTimeout(res, 350));
      // The probe: Redis answers; the counter whose store was skipped reads as a miss until stored.
      expect(await cc.get([ref])).toEqual([undefined]);
      await cc.setMany({ entries: [{ ref, value: 2n }], asOfMs: 3 });
      expect(await cc.get([ref])).toEqual([2n]);
    } finally {
      await dropPrefix(r, p);
      await Promise.all([r.quit(), probe.quit()]);
    }
  });
});
