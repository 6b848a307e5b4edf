import { CounterError } from '../../../src/errors';
import { INT64_MAX, INT64_MIN, type CounterRef } from '../../../src/model';
import type { BestEffortAdd, BestEffortCache, BestEffortClear, ConvergedCache } from '../../../src/cache/types';

/**
 * The rules every BestEffortCache and ConvergedCache implementation must follow (memory,
 * Redis). `create` returns fresh, empty caches; two caches from one call of `create` share
 * their data when the backend is shared (Redis), as two service instances would.
 */
export interface CacheFixture {
  bestEffort: BestEffortCache;
  converged: ConvergedCache;
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

/** An add of delta generated at timeUs: no TTL and no dedupe key unless given. */
const addOp = (r: CounterRef, delta: bigint, timeUs: number, more: Partial<Pick<BestEffortAdd, 'ttlSeconds' | 'dedupe'>> = {}): BestEffortAdd => ({
  ref: r,
  delta,
  timeUs,
  ttlSeconds: null,
  dedupe: null,
  ...more,
});

/** A clear generated at clearUs: watermark kept KEEP_MS, no dedupe key unless given. */
const clearOp = (r: CounterRef, clearUs: number, more: Partial<Pick<BestEffortClear, 'watermarkTtlMs' | 'dedupe'>> = {}): BestEffortClear => ({
  ref: r,
  clearUs,
  watermarkTtlMs: KEEP_MS,
  dedupe: null,
  ...more,
});

export function cacheConformance(name: string, create: () => Promise<CacheFixture>, done: () => Promise<void> = async () => {}) {
  describe(`${name}: BestEffortCache`, () => {
    let f: CacheFixture;
    beforeAll(async () => {
      f = await create();
    });
    afterAll(async () => {
      await f.bestEffort.close();
      await f.converged.close();
      await done();
    });

    it('counts 0 for a counter never written, and adds signed deltas', async () => {
      const r = ref();
      expect(await f.bestEffort.get([r])).toEqual([0n]);
      expect(await f.bestEffort.add(addOp(r, 5n, at()))).toEqual({ count: 5n, outcome: 'applied' });
      expect(await f.bestEffort.add(addOp(r, -7n, at()))).toEqual({ count: -2n, outcome: 'applied' });
      expect(await f.bestEffort.get([r, ref()])).toEqual([-2n, 0n]);
    });

    it('is exact past 2^53 and up to the 64-bit edges', async () => {
      const r = ref();
      expect((await f.bestEffort.add(addOp(r, 9007199254740993n, at()))).count).toBe(9007199254740993n);
      expect((await f.bestEffort.add(addOp(r, 2n, at()))).count).toBe(9007199254740995n);
      const hi = ref();
      expect((await f.bestEffort.add(addOp(hi, INT64_MAX, at()))).count).toBe(INT64_MAX);
      const lo = ref();
      expect((await f.bestEffort.add(addOp(lo, INT64_MIN, at()))).count).toBe(INT64_MIN);
      expect(await f.bestEffort.get([hi, lo])).toEqual([INT64_MAX, INT64_MIN]);
    });

    it('refuses an overflowing add with COUNT_OVERFLOW and changes nothing (dedupe mark included)', async () => {
      const r = ref();
      await f.bestEffort.add(addOp(r, INT64_MAX - 1n, at()));
      const d = { key: `tok-${seq++}`, ttlMs: 10_000 };
      await expect(f.bestEffort.add(addOp(r, 2n, at(), { dedupe: d }))).rejects.toMatchObject({ code: 'COUNT_OVERFLOW' });
      await expect(f.bestEffort.add(addOp(r, 2n, at(), { dedupe: d }))).rejects.toBeInstanceOf(CounterError);
      expect(await f.bestEffort.get([r])).toEqual([INT64_MAX - 1n]);
      // The refused token was not marked: a valid add with it still applies.
      expect(await f.bestEffort.add(addOp(r, 1n, at(), { dedupe: d }))).toEqual({ count: INT64_MAX, outcome: 'applied' });
      const lo = ref();
      await f.bestEffort.add(addOp(lo, INT64_MIN, at()));
      await expect(f.bestEffort.add(addOp(lo, -1n, at()))).rejects.toMatchObject({ code: 'COUNT_OVERFLOW' });
      expect(await f.bestEffort.get([lo])).toEqual([INT64_MIN]);
    });

    it('deduplicates a token: a retry leaves the count and reports it a duplicate', async () => {
      const r = ref();
      const d = { key: `tok-${seq++}`, ttlMs: 10_000 };
      expect(await f.bestEffort.add(addOp(r, 3n, at(), { dedupe: d }))).toEqual({ count: 3n, outcome: 'applied' });
      expect(await f.bestEffort.add(addOp(r, 3n, at(), { dedupe: d }))).toEqual({ count: 3n, outcome: 'duplicate' });
      expect(await f.bestEffort.add(addOp(r, 4n, at(), { dedupe: { key: `tok-${seq++}`, ttlMs: 10_000 } }))).toEqual({ count: 7n, outcome: 'applied' });
    });

    it('applies exactly once under concurrent retries of one token', async () => {
      const r = ref();
      const d = { key: `tok-${seq++}`, ttlMs: 10_000 };
      const results = await Promise.all(Array.from({ length: 20 }, () => f.bestEffort.add(addOp(r, 1n, at(), { dedupe: d }))));
      expect(results.filter((x) => x.outcome === 'applied')).toHaveLength(1);
      expect(await f.bestEffort.get([r])).toEqual([1n]);
    });

    it('forgets a dedupe key after its TTL', async () => {
      const r = ref();
      const d = { key: `tok-${seq++}`, ttlMs: 100 };
      await f.bestEffort.add(addOp(r, 1n, at(), { dedupe: d }));
      await new Promise((res) => setTimeout(res, 250));
      expect(await f.bestEffort.add(addOp(r, 1n, at(), { dedupe: d }))).toEqual({ count: 2n, outcome: 'applied' });
    });

    it('expires an idle counter after ttlSeconds, and each add refreshes the TTL', async () => {
      const r = ref();
      await f.bestEffort.add(addOp(r, 1n, at(), { ttlSeconds: 1 }));
      await new Promise((res) => setTimeout(res, 600));
      await f.bestEffort.add(addOp(r, 1n, at(), { ttlSeconds: 1 }));
      await new Promise((res) => setTimeout(res, 600));
      expect(await f.bestEffort.get([r])).toEqual([2n]);
      await new Promise((res) => setTimeout(res, 1300));
      expect(await f.bestEffort.get([r])).toEqual([0n]);
    });

    it('an add without TTL removes an earlier TTL', async () => {
      const r = ref();
      await f.bestEffort.add(addOp(r, 1n, at(), { ttlSeconds: 1 }));
      await f.bestEffort.add(addOp(r, 1n, at()));
      await new Promise((res) => setTimeout(res, 1300));
      expect(await f.bestEffort.get([r])).toEqual([2n]);
    });

    it('clears to 0, deduplicating the clear token; later adds count again', async () => {
      const r = ref();
      await f.bestEffort.add(addOp(r, 10n, at()));
      const d = { key: `tok-${seq++}`, ttlMs: 10_000 };
      const t = at();
      expect(await f.bestEffort.clear(clearOp(r, t, { dedupe: d }))).toEqual({ count: 0n, outcome: 'applied' });
      expect(await f.bestEffort.get([r])).toEqual([0n]);
      await f.bestEffort.add(addOp(r, 2n, at()));
      expect(await f.bestEffort.clear(clearOp(r, t, { dedupe: d }))).toEqual({ count: 2n, outcome: 'duplicate' });
      expect(await f.bestEffort.get([r])).toEqual([2n]);
      expect(await f.bestEffort.clear(clearOp(r, at()))).toEqual({ count: 0n, outcome: 'applied' });
      expect(await f.bestEffort.get([r])).toEqual([0n]);
    });

    describe('clear watermark: a clear counts as of its generation time', () => {
      it('an add generated at or before the clear no longer counts, whenever it arrives; later ones do', async () => {
        const r = ref();
        expect(await f.bestEffort.add(addOp(r, 100n, at(-3000)))).toEqual({ count: 100n, outcome: 'applied' });
        const clearUs = at(-2000);
        expect(await f.bestEffort.clear(clearOp(r, clearUs))).toEqual({ count: 0n, outcome: 'applied' });
        // Late arrivals generated before (or at) the clear: accepted, not counted, count unchanged.
        expect(await f.bestEffort.add(addOp(r, 1000n, at(-2500)))).toEqual({ count: 0n, outcome: 'superseded' });
        expect(await f.bestEffort.add(addOp(r, 5n, clearUs))).toEqual({ count: 0n, outcome: 'superseded' });
        // Generated after it: counts, late or not.
        expect(await f.bestEffort.add(addOp(r, 7n, clearUs + 1))).toEqual({ count: 7n, outcome: 'applied' });
        expect(await f.bestEffort.add(addOp(r, 3n, at()))).toEqual({ count: 10n, outcome: 'applied' });
        expect(await f.bestEffort.add(addOp(r, 1n, at(-2200)))).toEqual({ count: 10n, outcome: 'superseded' });
        expect(await f.bestEffort.get([r])).toEqual([10n]);
      });

      it('keeps the newest clear time: an older clear arriving late changes nothing more', async () => {
        const r = ref();
        await f.bestEffort.clear(clearOp(r, at(-1000)));
        expect(await f.bestEffort.add(addOp(r, 4n, at(-500)))).toEqual({ count: 4n, outcome: 'applied' });
        // Generated before the clear already there: covered by it, the add after it stays.
        expect(await f.bestEffort.clear(clearOp(r, at(-2000), { dedupe: { key: `tok-${seq++}`, ttlMs: 10_000 } }))).toEqual({ count: 4n, outcome: 'applied' });
        expect(await f.bestEffort.get([r])).toEqual([4n]);
        // And the watermark did not move back: adds before -1000 ms still do not count.
        expect(await f.bestEffort.add(addOp(r, 9n, at(-1500)))).toEqual({ count: 4n, outcome: 'superseded' });
        // A newer clear raises it.
        expect(await f.bestEffort.clear(clearOp(r, at(-300)))).toEqual({ count: 0n, outcome: 'applied' });
        expect(await f.bestEffort.add(addOp(r, 9n, at(-400)))).toEqual({ count: 0n, outcome: 'superseded' });
        expect(await f.bestEffort.add(addOp(r, 2n, at(-200)))).toEqual({ count: 2n, outcome: 'applied' });
      });

      it('a superseded add marks its token: a retry of it is a duplicate', async () => {
        const r = ref();
        await f.bestEffort.clear(clearOp(r, at()));
        const d = { key: `tok-${seq++}`, ttlMs: 10_000 };
        const t = at(-1000);
        expect(await f.bestEffort.add(addOp(r, 5n, t, { dedupe: d }))).toEqual({ count: 0n, outcome: 'superseded' });
        expect(await f.bestEffort.add(addOp(r, 5n, t, { dedupe: d }))).toEqual({ count: 0n, outcome: 'duplicate' });
      });

      it('a superseded add neither refreshes the TTL nor can overflow', async () => {
        const r = ref();
        await f.bestEffort.add(addOp(r, INT64_MAX, at(), { ttlSeconds: 1 }));
        const late = at(-10);
        await f.bestEffort.clear(clearOp(r, at()));
        await f.bestEffort.add(addOp(r, INT64_MAX, at(), { ttlSeconds: 1 }));
        expect(await f.bestEffort.add(addOp(r, 1n, late))).toEqual({ count: INT64_MAX, outcome: 'superseded' });
        await new Promise((res) => setTimeout(res, 1300));
        expect(await f.bestEffort.get([r])).toEqual([0n]); // still expired on the TTL of the last counted add
      });

      it('a clear that is a retry changes nothing, not even the watermark', async () => {
        const r = ref();
        const d = { key: `tok-${seq++}`, ttlMs: 10_000 };
        const t = at(-1000);
        await f.bestEffort.clear(clearOp(r, t, { dedupe: d }));
        expect(await f.bestEffort.add(addOp(r, 6n, at()))).toEqual({ count: 6n, outcome: 'applied' });
        // The same token with a later time is another clear; the same (token, time) is a retry.
        expect(await f.bestEffort.clear(clearOp(r, t, { dedupe: d }))).toEqual({ count: 6n, outcome: 'duplicate' });
        expect(await f.bestEffort.add(addOp(r, 1n, t + 1))).toEqual({ count: 7n, outcome: 'applied' });
      });

      it('the watermark is forgotten after its keep time; counters stay apart', async () => {
        const r = ref();
        const other = ref();
        const t = at(200); // a clear generated in the (near) future
        await f.bestEffort.clear(clearOp(r, t, { watermarkTtlMs: 150 }));
        expect(await f.bestEffort.add(addOp(other, 1n, t - 1))).toEqual({ count: 1n, outcome: 'applied' });
        expect(await f.bestEffort.add(addOp(r, 1n, t - 1))).toMatchObject({ outcome: 'superseded' });
        await new Promise((res) => setTimeout(res, 300));
        // Kept no longer than asked: the same time now counts (the service keeps it as long as such an add can be accepted).
        expect(await f.bestEffort.add(addOp(r, 1n, t - 1))).toEqual({ count: 1n, outcome: 'applied' });
      });

      it('a later clear never shortens the keep time of the watermark', async () => {
        const r = ref();
        await f.bestEffort.clear(clearOp(r, at(-100), { watermarkTtlMs: 5000 }));
        const t = at();
        await f.bestEffort.clear(clearOp(r, t, { watermarkTtlMs: 50 }));
        await new Promise((res) => setTimeout(res, 200));
        expect(await f.bestEffort.add(addOp(r, 1n, t))).toMatchObject({ outcome: 'superseded' });
      });

      it('is exact for counts past 2^53 around a clear', async () => {
        const r = ref();
        await f.bestEffort.add(addOp(r, 9007199254740993n, at()));
        // times relative to the clear's, not to the clock: a slow round trip must not reorder them
        const clearUs = at();
        await f.bestEffort.clear(clearOp(r, clearUs, { dedupe: { key: `tok-${seq++}`, ttlMs: 10_000 } }));
        expect(await f.bestEffort.add(addOp(r, 9007199254740995n, at()))).toEqual({ count: 9007199254740995n, outcome: 'applied' });
        expect(await f.bestEffort.clear(clearOp(r, clearUs - 5000))).toEqual({ count: 9007199254740995n, outcome: 'applied' });
        expect(await f.bestEffort.add(addOp(r, 1n, clearUs - 10_000))).toEqual({ count: 9007199254740995n, outcome: 'superseded' });
      });

      it('concurrent adds around a clear: each counts exactly when generated after it', async () => {
        const r = ref();
        const clearUs = at(-1000);
        const times = Array.from({ length: 100 }, (_, i) => clearUs - 50_000 + i * 1000); // half before, half after
        await Promise.all([
          f.bestEffort.clear(clearOp(r, clearUs)),
          ...times.map((t) => f.bestEffort.add(addOp(r, 1n, t))),
        ]);
        // Those before the clear never count; those after count unless they were applied before
        // the clear arrived (then the clear's zeroing lost them: the documented limit).
        const [n] = await f.bestEffort.get([r]);
        expect(n).toBeGreaterThanOrEqual(0n);
        expect(n).toBeLessThanOrEqual(50n);
        const lateBefore = await Promise.all(times.filter((t) => t <= clearUs).map((t) => f.bestEffort.add(addOp(r, 1n, t))));
        expect(lateBefore.every((x) => x.outcome === 'superseded')).toBe(true);
        expect(await f.bestEffort.get([r])).toEqual([n]);
      });
    });

    it('keeps counters of different namespaces and look-alike names apart', async () => {
      const a = { namespace: 'a:b', name: 'c' };
      const b = { namespace: 'a', name: 'b:c' };
      await f.bestEffort.add(addOp(a, 1n, at()));
      await f.bestEffort.add(addOp(b, 2n, at()));
      expect(await f.bestEffort.get([a, b])).toEqual([1n, 2n]);
    });

    it('clearNamespace forgets the namespace\'s counters, dedupe records and clear watermarks, and nothing of look-alike namespaces', async () => {
      const gone = [{ namespace: 'del', name: 'a' }, { namespace: 'del', name: 'b:c' }];
      const kept = [{ namespace: 'del:x', name: 'a' }, { namespace: 'de', name: 'l:a' }, { namespace: 'dell', name: 'a' }, { namespace: 'del-', name: 'a' }];
      const dedupe = { key: 'del\u0000a\u0000tok\u00001', ttlMs: 60_000 };
      const t = at();
      await f.bestEffort.add(addOp(gone[0]!, 5n, t, { dedupe }));
      await f.bestEffort.clear(clearOp(gone[1]!, at()));
      await f.bestEffort.add(addOp(gone[1]!, 2n, at()));
      for (const r of kept) await f.bestEffort.add(addOp(r, 7n, at()));
      expect(await f.bestEffort.clearNamespace('del')).toBeGreaterThanOrEqual(3);
      expect(await f.bestEffort.get([...gone, ...kept])).toEqual([0n, 0n, 7n, 7n, 7n, 7n]);
      // The dedupe record went: the same token counts again. The watermark went: an add generated before the old clear counts.
      expect(await f.bestEffort.add(addOp(gone[0]!, 5n, t, { dedupe }))).toEqual({ count: 5n, outcome: 'applied' });
      expect(await f.bestEffort.add(addOp(gone[1]!, 1n, t))).toEqual({ count: 1n, outcome: 'applied' });
      expect(await f.bestEffort.clearNamespace('nothing-here')).toBe(0);
    });

    it('stays exact under many concurrent adds', async () => {
      const r = ref();
      await Promise.all(Array.from({ length: 200 }, (_, i) => f.bestEffort.add(addOp(r, BigInt(i), at()))));
      expect(await f.bestEffort.get([r])).toEqual([BigInt((199 * 200) / 2)]);
    });
  });

  describe(`${name}: ConvergedCache`, () => {
    let f: CacheFixture;
    beforeAll(async () => {
      f = await create();
    });
    afterAll(async () => {
      await f.bestEffort.close();
      await f.converged.close();
      await done();
    });

    it('returns undefined for unknown counters, and stored values in input order', async () => {
      const a = ref();
      const b = ref();
      expect(await f.converged.get([a, b])).toEqual([undefined, undefined]);
      expect(await f.converged.setMany({ entries: [{ ref: b, value: 9007199254740993n }, { ref: a, value: -1n }], asOfMs: 1000 })).toEqual({ changed: [true, true] });
      expect(await f.converged.get([a, ref(), b])).toEqual([-1n, undefined, 9007199254740993n]);
      expect(await f.converged.get([])).toEqual([]);
    });

    it('a newer asOf wins; an older one is ignored; changed is true only when the value changed', async () => {
      const r = ref();
      expect(await f.converged.setMany({ entries: [{ ref: r, value: 5n }], asOfMs: 2000 })).toEqual({ changed: [true] });
      expect(await f.converged.setMany({ entries: [{ ref: r, value: 4n }], asOfMs: 1000 })).toEqual({ changed: [false] });
      expect(await f.converged.get([r])).toEqual([5n]);
      expect(await f.converged.setMany({ entries: [{ ref: r, value: 5n }], asOfMs: 3000 })).toEqual({ changed: [false] });
      expect(await f.converged.setMany({ entries: [{ ref: r, value: 6n }], asOfMs: 3000 })).toEqual({ changed: [true] });
      expect(await f.converged.setMany({ entries: [{ ref: r, value: 5n }], asOfMs: 2999 })).toEqual({ changed: [false] });
      expect(await f.converged.get([r])).toEqual([6n]);
    });

    it('keeps the 64-bit edges exact', async () => {
      const a = ref();
      const b = ref();
      await f.converged.setMany({ entries: [{ ref: a, value: INT64_MAX }, { ref: b, value: INT64_MIN }], asOfMs: Date.now() });
      expect(await f.converged.get([a, b])).toEqual([INT64_MAX, INT64_MIN]);
    });

    it('clearNamespace forgets the namespace\'s values only', async () => {
      const gone = [{ namespace: 'cdel', name: 'a' }, { namespace: 'cdel', name: 'b:c' }];
      const kept = [{ namespace: 'cdel:x', name: 'a' }, { namespace: 'cde', name: 'l:a' }, { namespace: 'cdell', name: 'a' }];
      await f.converged.setMany({ entries: [...gone, ...kept].map((r) => ({ ref: r, value: 3n })), asOfMs: Date.now() });
      expect(await f.converged.clearNamespace('cdel')).toBe(2);
      expect(await f.converged.get([...gone, ...kept])).toEqual([undefined, undefined, 3n, 3n, 3n]);
      // A value of a re-created namespace is stored afresh, even with an older asOf than the forgotten one.
      expect(await f.converged.setMany({ entries: [{ ref: gone[0]!, value: 0n }], asOfMs: 1 })).toEqual({ changed: [true] });
      expect(await f.converged.get([gone[0]!])).toEqual([0n]);
    });

    it('ends on the newest value when many writers race', async () => {
      const r = ref();
      const order = Array.from({ length: 50 }, (_, i) => i).sort(() => Math.random() - 0.5);
      await Promise.all(order.map((i) => f.converged.setMany({ entries: [{ ref: r, value: BigInt(i) }], asOfMs: 10_000 + i })));
      expect(await f.converged.get([r])).toEqual([49n]);
    });
  });
}
