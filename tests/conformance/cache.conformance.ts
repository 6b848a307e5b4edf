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

/** Generation times (µs), strictly increasing, like the service's own (src/clock.ts). */
let lastUs = 0;
const at = (offsetMs = 0): number => {
  const t = (Date.now() + offsetMs) * 1000;
  if (offsetMs !== 0) return t;
  lastUs = t > lastUs ? t : lastUs + 1;
  return lastUs;
};
/** How long clear watermarks are kept in these tests unless a case says otherwise. */
const KEEP_MS = 10_000;

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
      expect(await f.bestEffort.add(r, 5n, at(), null, null)).toEqual({ count: 5n, applied: true });
      expect(await f.bestEffort.add(r, -7n, at(), null, null)).toEqual({ count: -2n, applied: true });
      expect(await f.bestEffort.get([r, ref()])).toEqual([-2n, 0n]);
    });

    it('is exact past 2^53 and up to the 64-bit edges', async () => {
      const r = ref();
      expect((await f.bestEffort.add(r, 9007199254740993n, at(), null, null)).count).toBe(9007199254740993n);
      expect((await f.bestEffort.add(r, 2n, at(), null, null)).count).toBe(9007199254740995n);
      const hi = ref();
      expect((await f.bestEffort.add(hi, INT64_MAX, at(), null, null)).count).toBe(INT64_MAX);
      const lo = ref();
      expect((await f.bestEffort.add(lo, INT64_MIN, at(), null, null)).count).toBe(INT64_MIN);
      expect(await f.bestEffort.get([hi, lo])).toEqual([INT64_MAX, INT64_MIN]);
    });

    it('refuses an overflowing add with COUNT_OVERFLOW and changes nothing (dedupe mark included)', async () => {
      const r = ref();
      await f.bestEffort.add(r, INT64_MAX - 1n, at(), null, null);
      const d = { key: `tok-${seq++}`, ttlMs: 10_000 };
      await expect(f.bestEffort.add(r, 2n, at(), null, d)).rejects.toMatchObject({ code: 'COUNT_OVERFLOW' });
      await expect(f.bestEffort.add(r, 2n, at(), null, d)).rejects.toBeInstanceOf(CounterError);
      expect(await f.bestEffort.get([r])).toEqual([INT64_MAX - 1n]);
      // The refused token was not marked: a valid add with it still applies.
      expect(await f.bestEffort.add(r, 1n, at(), null, d)).toEqual({ count: INT64_MAX, applied: true });
      const lo = ref();
      await f.bestEffort.add(lo, INT64_MIN, at(), null, null);
      await expect(f.bestEffort.add(lo, -1n, at(), null, null)).rejects.toMatchObject({ code: 'COUNT_OVERFLOW' });
      expect(await f.bestEffort.get([lo])).toEqual([INT64_MIN]);
    });

    it('deduplicates a token: a retry leaves the count and reports applied=false', async () => {
      const r = ref();
      const d = { key: `tok-${seq++}`, ttlMs: 10_000 };
      expect(await f.bestEffort.add(r, 3n, at(), null, d)).toEqual({ count: 3n, applied: true });
      expect(await f.bestEffort.add(r, 3n, at(), null, d)).toEqual({ count: 3n, applied: false });
      expect(await f.bestEffort.add(r, 4n, at(), null, { key: `tok-${seq++}`, ttlMs: 10_000 })).toEqual({ count: 7n, applied: true });
    });

    it('applies exactly once under concurrent retries of one token', async () => {
      const r = ref();
      const d = { key: `tok-${seq++}`, ttlMs: 10_000 };
      const results = await Promise.all(Array.from({ length: 20 }, () => f.bestEffort.add(r, 1n, at(), null, d)));
      expect(results.filter((x) => x.applied)).toHaveLength(1);
      expect(await f.bestEffort.get([r])).toEqual([1n]);
    });

    it('forgets a dedupe key after its TTL', async () => {
      const r = ref();
      const d = { key: `tok-${seq++}`, ttlMs: 100 };
      await f.bestEffort.add(r, 1n, at(), null, d);
      await new Promise((res) => setTimeout(res, 250));
      expect(await f.bestEffort.add(r, 1n, at(), null, d)).toEqual({ count: 2n, applied: true });
    });

    it('expires an idle counter after ttlSeconds, and each add refreshes the TTL', async () => {
      const r = ref();
      await f.bestEffort.add(r, 1n, at(), 1, null);
      await new Promise((res) => setTimeout(res, 600));
      await f.bestEffort.add(r, 1n, at(), 1, null);
      await new Promise((res) => setTimeout(res, 600));
      expect(await f.bestEffort.get([r])).toEqual([2n]);
      await new Promise((res) => setTimeout(res, 1300));
      expect(await f.bestEffort.get([r])).toEqual([0n]);
    });

    it('an add without TTL removes an earlier TTL', async () => {
      const r = ref();
      await f.bestEffort.add(r, 1n, at(), 1, null);
      await f.bestEffort.add(r, 1n, at(), null, null);
      await new Promise((res) => setTimeout(res, 1300));
      expect(await f.bestEffort.get([r])).toEqual([2n]);
    });

    it('clears to 0, deduplicating the clear token; later adds count again', async () => {
      const r = ref();
      await f.bestEffort.add(r, 10n, at(), null, null);
      const d = { key: `tok-${seq++}`, ttlMs: 10_000 };
      const t = at();
      expect(await f.bestEffort.clear(r, t, KEEP_MS, d)).toEqual({ count: 0n, applied: true });
      expect(await f.bestEffort.get([r])).toEqual([0n]);
      await f.bestEffort.add(r, 2n, at(), null, null);
      expect(await f.bestEffort.clear(r, t, KEEP_MS, d)).toEqual({ count: 2n, applied: false });
      expect(await f.bestEffort.get([r])).toEqual([2n]);
      expect(await f.bestEffort.clear(r, at(), KEEP_MS, null)).toEqual({ count: 0n, applied: true });
      expect(await f.bestEffort.get([r])).toEqual([0n]);
    });

    describe('clear watermark: a clear counts as of its generation time', () => {
      it('an add generated at or before the clear no longer counts, whenever it arrives; later ones do', async () => {
        const r = ref();
        expect(await f.bestEffort.add(r, 100n, at(-3000), null, null)).toEqual({ count: 100n, applied: true });
        const clearUs = at(-2000);
        expect(await f.bestEffort.clear(r, clearUs, KEEP_MS, null)).toEqual({ count: 0n, applied: true });
        // Late arrivals generated before (or at) the clear: accepted, not counted, count unchanged.
        expect(await f.bestEffort.add(r, 1000n, at(-2500), null, null)).toEqual({ count: 0n, applied: false, superseded: true });
        expect(await f.bestEffort.add(r, 5n, clearUs, null, null)).toEqual({ count: 0n, applied: false, superseded: true });
        // Generated after it: counts, late or not.
        expect(await f.bestEffort.add(r, 7n, clearUs + 1, null, null)).toEqual({ count: 7n, applied: true });
        expect(await f.bestEffort.add(r, 3n, at(), null, null)).toEqual({ count: 10n, applied: true });
        expect(await f.bestEffort.add(r, 1n, at(-2200), null, null)).toEqual({ count: 10n, applied: false, superseded: true });
        expect(await f.bestEffort.get([r])).toEqual([10n]);
      });

      it('keeps the newest clear time: an older clear arriving late changes nothing more', async () => {
        const r = ref();
        await f.bestEffort.clear(r, at(-1000), KEEP_MS, null);
        expect(await f.bestEffort.add(r, 4n, at(-500), null, null)).toEqual({ count: 4n, applied: true });
        // Generated before the clear already there: covered by it, the add after it stays.
        expect(await f.bestEffort.clear(r, at(-2000), KEEP_MS, { key: `tok-${seq++}`, ttlMs: 10_000 })).toEqual({ count: 4n, applied: true });
        expect(await f.bestEffort.get([r])).toEqual([4n]);
        // And the watermark did not move back: adds before -1000 ms still do not count.
        expect(await f.bestEffort.add(r, 9n, at(-1500), null, null)).toMatchObject({ count: 4n, applied: false });
        // A newer clear raises it.
        expect(await f.bestEffort.clear(r, at(-300), KEEP_MS, null)).toEqual({ count: 0n, applied: true });
        expect(await f.bestEffort.add(r, 9n, at(-400), null, null)).toMatchObject({ count: 0n, applied: false });
        expect(await f.bestEffort.add(r, 2n, at(-200), null, null)).toEqual({ count: 2n, applied: true });
      });

      it('a superseded add marks its token: a retry of it is a duplicate', async () => {
        const r = ref();
        await f.bestEffort.clear(r, at(), KEEP_MS, null);
        const d = { key: `tok-${seq++}`, ttlMs: 10_000 };
        const t = at(-1000);
        expect(await f.bestEffort.add(r, 5n, t, null, d)).toEqual({ count: 0n, applied: false, superseded: true });
        expect(await f.bestEffort.add(r, 5n, t, null, d)).toEqual({ count: 0n, applied: false });
      });

      it('a superseded add neither refreshes the TTL nor can overflow', async () => {
        const r = ref();
        await f.bestEffort.add(r, INT64_MAX, at(), 1, null);
        const late = at(-10);
        await f.bestEffort.clear(r, at(), KEEP_MS, null);
        await f.bestEffort.add(r, INT64_MAX, at(), 1, null);
        expect(await f.bestEffort.add(r, 1n, late, null, null)).toEqual({ count: INT64_MAX, applied: false, superseded: true });
        await new Promise((res) => setTimeout(res, 1300));
        expect(await f.bestEffort.get([r])).toEqual([0n]); // still expired on the TTL of the last counted add
      });

      it('a clear that is a retry changes nothing, not even the watermark', async () => {
        const r = ref();
        const d = { key: `tok-${seq++}`, ttlMs: 10_000 };
        const t = at(-1000);
        await f.bestEffort.clear(r, t, KEEP_MS, d);
        expect(await f.bestEffort.add(r, 6n, at(), null, null)).toEqual({ count: 6n, applied: true });
        // The same token with a later time is another clear; the same (token, time) is a retry.
        expect(await f.bestEffort.clear(r, t, KEEP_MS, d)).toEqual({ count: 6n, applied: false });
        expect(await f.bestEffort.add(r, 1n, t + 1, null, null)).toEqual({ count: 7n, applied: true });
      });

      it('the watermark is forgotten after its keep time; counters stay apart', async () => {
        const r = ref();
        const other = ref();
        const t = at(200); // a clear generated in the (near) future
        await f.bestEffort.clear(r, t, 150, null);
        expect(await f.bestEffort.add(other, 1n, t - 1, null, null)).toEqual({ count: 1n, applied: true });
        expect(await f.bestEffort.add(r, 1n, t - 1, null, null)).toMatchObject({ applied: false, superseded: true });
        await new Promise((res) => setTimeout(res, 300));
        // Kept no longer than asked: the same time now counts (the service keeps it as long as such an add can be accepted).
        expect(await f.bestEffort.add(r, 1n, t - 1, null, null)).toEqual({ count: 1n, applied: true });
      });

      it('a later clear never shortens the keep time of the watermark', async () => {
        const r = ref();
        await f.bestEffort.clear(r, at(-100), 5000, null);
        const t = at();
        await f.bestEffort.clear(r, t, 50, null);
        await new Promise((res) => setTimeout(res, 200));
        expect(await f.bestEffort.add(r, 1n, t, null, null)).toMatchObject({ applied: false, superseded: true });
      });

      it('is exact for counts past 2^53 around a clear', async () => {
        const r = ref();
        await f.bestEffort.add(r, 9007199254740993n, at(), null, null);
        await f.bestEffort.clear(r, at(-5), KEEP_MS, { key: `tok-${seq++}`, ttlMs: 10_000 });
        expect(await f.bestEffort.add(r, 9007199254740995n, at(), null, null)).toEqual({ count: 9007199254740995n, applied: true });
        expect(await f.bestEffort.clear(r, at(-10), KEEP_MS, null)).toEqual({ count: 9007199254740995n, applied: true });
        expect(await f.bestEffort.add(r, 1n, at(-20), null, null)).toEqual({ count: 9007199254740995n, applied: false, superseded: true });
      });

      it('concurrent adds around a clear: each counts exactly when generated after it', async () => {
        const r = ref();
        const clearUs = at(-1000);
        const times = Array.from({ length: 100 }, (_, i) => clearUs - 50_000 + i * 1000); // half before, half after
        await Promise.all([
          f.bestEffort.clear(r, clearUs, KEEP_MS, null),
          ...times.map((t) => f.bestEffort.add(r, 1n, t, null, null)),
        ]);
        // Those before the clear never count; those after count unless they were applied before
        // the clear arrived (then the clear's zeroing lost them: the documented limit).
        const [n] = await f.bestEffort.get([r]);
        expect(n).toBeGreaterThanOrEqual(0n);
        expect(n).toBeLessThanOrEqual(50n);
        const lateBefore = await Promise.all(times.filter((t) => t <= clearUs).map((t) => f.bestEffort.add(r, 1n, t, null, null)));
        expect(lateBefore.every((x) => !x.applied)).toBe(true);
        expect(await f.bestEffort.get([r])).toEqual([n]);
      });
    });

    it('keeps counters of different namespaces and look-alike names apart', async () => {
      const a = { namespace: 'a:b', name: 'c' };
      const b = { namespace: 'a', name: 'b:c' };
      await f.bestEffort.add(a, 1n, at(), null, null);
      await f.bestEffort.add(b, 2n, at(), null, null);
      expect(await f.bestEffort.get([a, b])).toEqual([1n, 2n]);
    });

    it('stays exact under many concurrent adds', async () => {
      const r = ref();
      await Promise.all(Array.from({ length: 200 }, (_, i) => f.bestEffort.add(r, BigInt(i), at(), null, null)));
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
