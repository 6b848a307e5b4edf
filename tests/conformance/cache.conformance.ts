import { CounterError } from '../../src/errors';
import { INT64_MAX, INT64_MIN, type CounterRef } from '../../src/model';
import type { BestEffortCache, RollupCache } from '../../src/cache/types';

/**
 * The rules every BestEffortCache and RollupCache implementation must follow (memory,
 * Redis). `create` returns fresh, empty caches; two caches from one call of `create` share
 * their data when the backend is shared (Redis), as two service instances would.
 */
export interface CacheFixture {
  bestEffort: BestEffortCache;
  rollup: RollupCache;
}

let seq = 0;
const ref = (name = `c${seq++}`): CounterRef => ({ namespace: 'ns', name });

export function cacheConformance(name: string, create: () => Promise<CacheFixture>, done: () => Promise<void> = async () => {}) {
  describe(`${name}: BestEffortCache`, () => {
    let f: CacheFixture;
    beforeAll(async () => {
      f = await create();
    });
    afterAll(async () => {
      await f.bestEffort.close();
      await f.rollup.close();
      await done();
    });

    it('counts 0 for a counter never written, and adds signed deltas', async () => {
      const r = ref();
      expect(await f.bestEffort.get([r])).toEqual([0n]);
      expect(await f.bestEffort.add(r, 5n, null, null)).toEqual({ count: 5n, applied: true });
      expect(await f.bestEffort.add(r, -7n, null, null)).toEqual({ count: -2n, applied: true });
      expect(await f.bestEffort.get([r, ref()])).toEqual([-2n, 0n]);
    });

    it('is exact past 2^53 and up to the 64-bit edges', async () => {
      const r = ref();
      expect((await f.bestEffort.add(r, 9007199254740993n, null, null)).count).toBe(9007199254740993n);
      expect((await f.bestEffort.add(r, 2n, null, null)).count).toBe(9007199254740995n);
      const hi = ref();
      expect((await f.bestEffort.add(hi, INT64_MAX, null, null)).count).toBe(INT64_MAX);
      const lo = ref();
      expect((await f.bestEffort.add(lo, INT64_MIN, null, null)).count).toBe(INT64_MIN);
      expect(await f.bestEffort.get([hi, lo])).toEqual([INT64_MAX, INT64_MIN]);
    });

    it('refuses an overflowing add with COUNT_OVERFLOW and changes nothing (dedupe mark included)', async () => {
      const r = ref();
      await f.bestEffort.add(r, INT64_MAX - 1n, null, null);
      const d = { key: `tok-${seq++}`, ttlMs: 10_000 };
      await expect(f.bestEffort.add(r, 2n, null, d)).rejects.toMatchObject({ code: 'COUNT_OVERFLOW' });
      await expect(f.bestEffort.add(r, 2n, null, d)).rejects.toBeInstanceOf(CounterError);
      expect(await f.bestEffort.get([r])).toEqual([INT64_MAX - 1n]);
      // The refused token was not marked: a valid add with it still applies.
      expect(await f.bestEffort.add(r, 1n, null, d)).toEqual({ count: INT64_MAX, applied: true });
      const lo = ref();
      await f.bestEffort.add(lo, INT64_MIN, null, null);
      await expect(f.bestEffort.add(lo, -1n, null, null)).rejects.toMatchObject({ code: 'COUNT_OVERFLOW' });
      expect(await f.bestEffort.get([lo])).toEqual([INT64_MIN]);
    });

    it('deduplicates a token: a retry leaves the count and reports applied=false', async () => {
      const r = ref();
      const d = { key: `tok-${seq++}`, ttlMs: 10_000 };
      expect(await f.bestEffort.add(r, 3n, null, d)).toEqual({ count: 3n, applied: true });
      expect(await f.bestEffort.add(r, 3n, null, d)).toEqual({ count: 3n, applied: false });
      expect(await f.bestEffort.add(r, 4n, null, { key: `tok-${seq++}`, ttlMs: 10_000 })).toEqual({ count: 7n, applied: true });
    });

    it('applies exactly once under concurrent retries of one token', async () => {
      const r = ref();
      const d = { key: `tok-${seq++}`, ttlMs: 10_000 };
      const results = await Promise.all(Array.from({ length: 20 }, () => f.bestEffort.add(r, 1n, null, d)));
      expect(results.filter((x) => x.applied)).toHaveLength(1);
      expect(await f.bestEffort.get([r])).toEqual([1n]);
    });

    it('forgets a dedupe key after its TTL', async () => {
      const r = ref();
      const d = { key: `tok-${seq++}`, ttlMs: 100 };
      await f.bestEffort.add(r, 1n, null, d);
      await new Promise((res) => setTimeout(res, 250));
      expect(await f.bestEffort.add(r, 1n, null, d)).toEqual({ count: 2n, applied: true });
    });

    it('expires an idle counter after ttlSeconds, and each add refreshes the TTL', async () => {
      const r = ref();
      await f.bestEffort.add(r, 1n, 1, null);
      await new Promise((res) => setTimeout(res, 600));
      await f.bestEffort.add(r, 1n, 1, null);
      await new Promise((res) => setTimeout(res, 600));
      expect(await f.bestEffort.get([r])).toEqual([2n]);
      await new Promise((res) => setTimeout(res, 1300));
      expect(await f.bestEffort.get([r])).toEqual([0n]);
    });

    it('an add without TTL removes an earlier TTL', async () => {
      const r = ref();
      await f.bestEffort.add(r, 1n, 1, null);
      await f.bestEffort.add(r, 1n, null, null);
      await new Promise((res) => setTimeout(res, 1300));
      expect(await f.bestEffort.get([r])).toEqual([2n]);
    });

    it('clears to 0, deduplicating the clear token; later adds count again', async () => {
      const r = ref();
      await f.bestEffort.add(r, 10n, null, null);
      const d = { key: `tok-${seq++}`, ttlMs: 10_000 };
      expect(await f.bestEffort.clear(r, d)).toEqual({ applied: true });
      expect(await f.bestEffort.get([r])).toEqual([0n]);
      await f.bestEffort.add(r, 2n, null, null);
      expect(await f.bestEffort.clear(r, d)).toEqual({ applied: false });
      expect(await f.bestEffort.get([r])).toEqual([2n]);
      expect(await f.bestEffort.clear(r, null)).toEqual({ applied: true });
      expect(await f.bestEffort.get([r])).toEqual([0n]);
    });

    it('keeps counters of different namespaces and look-alike names apart', async () => {
      const a = { namespace: 'a:b', name: 'c' };
      const b = { namespace: 'a', name: 'b:c' };
      await f.bestEffort.add(a, 1n, null, null);
      await f.bestEffort.add(b, 2n, null, null);
      expect(await f.bestEffort.get([a, b])).toEqual([1n, 2n]);
    });

    it('stays exact under many concurrent adds', async () => {
      const r = ref();
      await Promise.all(Array.from({ length: 200 }, (_, i) => f.bestEffort.add(r, BigInt(i), null, null)));
      expect(await f.bestEffort.get([r])).toEqual([BigInt((199 * 200) / 2)]);
    });
  });

  describe(`${name}: RollupCache`, () => {
    let f: CacheFixture;
    beforeAll(async () => {
      f = await create();
    });
    afterAll(async () => {
      await f.bestEffort.close();
      await f.rollup.close();
      await done();
    });

    it('returns undefined for unknown counters, and stored values in input order', async () => {
      const a = ref();
      const b = ref();
      expect(await f.rollup.get([a, b])).toEqual([undefined, undefined]);
      expect(await f.rollup.setMany([{ ref: b, value: 9007199254740993n }, { ref: a, value: -1n }], 1000)).toEqual([true, true]);
      expect(await f.rollup.get([a, ref(), b])).toEqual([-1n, undefined, 9007199254740993n]);
      expect(await f.rollup.get([])).toEqual([]);
    });

    it('a newer asOf wins; an older one is ignored; changed is true only when the value changed', async () => {
      const r = ref();
      expect(await f.rollup.setMany([{ ref: r, value: 5n }], 2000)).toEqual([true]);
      expect(await f.rollup.setMany([{ ref: r, value: 4n }], 1000)).toEqual([false]);
      expect(await f.rollup.get([r])).toEqual([5n]);
      expect(await f.rollup.setMany([{ ref: r, value: 5n }], 3000)).toEqual([false]);
      expect(await f.rollup.setMany([{ ref: r, value: 6n }], 3000)).toEqual([true]);
      expect(await f.rollup.setMany([{ ref: r, value: 5n }], 2999)).toEqual([false]);
      expect(await f.rollup.get([r])).toEqual([6n]);
    });

    it('keeps the 64-bit edges exact', async () => {
      const a = ref();
      const b = ref();
      await f.rollup.setMany([{ ref: a, value: INT64_MAX }, { ref: b, value: INT64_MIN }], Date.now());
      expect(await f.rollup.get([a, b])).toEqual([INT64_MAX, INT64_MIN]);
    });

    it('ends on the newest value when many writers race', async () => {
      const r = ref();
      const order = Array.from({ length: 50 }, (_, i) => i).sort(() => Math.random() - 0.5);
      await Promise.all(order.map((i) => f.rollup.setMany([{ ref: r, value: BigInt(i) }], 10_000 + i)));
      expect(await f.rollup.get([r])).toEqual([49n]);
    });
  });
}
