import { bucketEndUs, bucketOf } from '../../../../../src/store/embedded/buckets';
import { PendingWindows } from '../../../../../src/store/embedded/pendingWindows';

const W = 1_000_000;
const a = { namespace: 'n', name: 'a' };
const b = { namespace: 'n', name: 'b' };

describe('time buckets', () => {
  it('floors for any sign, and a bucket ends on its last microsecond', () => {
    expect(bucketOf(0, W)).toBe(0);
    expect(bucketOf(W - 1, W)).toBe(0);
    expect(bucketOf(W, W)).toBe(1);
    expect(bucketOf(-1, W)).toBe(-1);
    expect(bucketEndUs(0, W)).toBe(W - 1);
    expect(bucketOf(bucketEndUs(7, W), W)).toBe(7);
    expect(bucketOf(bucketEndUs(7, W) + 1, W)).toBe(8);
  });
});

describe('PendingWindows', () => {
  it('keeps the newest write and the buckets written, ascending, each once, whatever the order', () => {
    const p = new PendingWindows(W);
    for (const t of [5 * W + 1, 2 * W, 5 * W + 9, 9 * W, 2 * W + 3, 7 * W]) p.note('n', 'a', t);
    expect(p.get(a)).toEqual({ lastWriteUs: 9 * W, buckets: [2, 5, 7, 9] });
    expect(p.get(b)).toBeUndefined();
    expect(p.floor('n')).toBe(2);
  });

  it('settles only what a checkpoint covers whole, and drops a window whose newest write is covered', () => {
    const p = new PendingWindows(W);
    for (const t of [2 * W, 5 * W + 10, 9 * W]) p.note('n', 'a', t);
    p.settle(a, 5 * W + 5); // inside bucket 5: it may still hold events after the checkpoint
    expect(p.get(a)).toEqual({ lastWriteUs: 9 * W, buckets: [5, 9] });
    expect(p.floor('n')).toBe(5);
    p.settle(a, 3 * W); // an older checkpoint changes nothing
    expect(p.get(a)!.buckets).toEqual([5, 9]);
    p.settle(a, 9 * W);
    expect(p.get(a)).toBeUndefined();
    expect(p.floor('n')).toBeUndefined();
    // a late event at or before the checkpoint read is dropped by the next settle
    p.note('n', 'a', 4 * W);
    p.settle(a, 9 * W);
    expect(p.get(a)).toBeUndefined();
  });

  it('floors a namespace at the least bucket any of its windows holds', () => {
    const p = new PendingWindows(W);
    p.note('n', 'a', 3 * W);
    p.note('n', 'b', 1 * W);
    p.note('n', 'b', 6 * W);
    p.note('m', 'a', 0);
    expect(p.floor('n')).toBe(1);
    p.settle(b, 2 * W);
    expect(p.floor('n')).toBe(3);
    p.settle(a, 3 * W);
    expect(p.floor('n')).toBe(6);
    expect(p.floor('m')).toBe(0);
    p.forget('m');
    expect(p.floor('m')).toBeUndefined();
    expect(p.get({ namespace: 'm', name: 'a' })).toBeUndefined();
  });

  it('lists a namespace oldest newest-write first, up to a time and a limit', () => {
    const p = new PendingWindows(W);
    p.note('n', 'c', 3 * W);
    p.note('n', 'a', 1 * W);
    p.note('n', 'b', 2 * W);
    p.note('n', 'd', 9 * W);
    p.note('n', 'e', 2 * W);
    p.note('m', 'x', 1);
    expect(p.list('n', 5 * W, 100).map((r) => r.name)).toEqual(['a', 'b', 'e', 'c']);
    expect(p.list('n', 5 * W, 2)).toEqual([a, b]);
    expect(p.list('none', Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });

  it('with steadyBeforeUs also lists counters still written whose oldest bucket ended by then', () => {
    const p = new PendingWindows(W);
    p.note('n', 'steady', 1 * W); // oldest bucket 1, ends at 2W - 1
    p.note('n', 'steady', 9 * W);
    p.note('n', 'fresh', 8 * W);
    p.note('n', 'fresh', 9 * W);
    p.note('n', 'settled', 2 * W);
    expect(p.list('n', 5 * W, 100).map((r) => r.name)).toEqual(['settled']);
    expect(p.list('n', 5 * W, 100, 2 * W - 2).map((r) => r.name)).toEqual(['settled']);
    expect(p.list('n', 5 * W, 100, 2 * W - 1).map((r) => r.name)).toEqual(['settled', 'steady']);
    p.settle({ namespace: 'n', name: 'steady' }, 3 * W); // its checkpoint moved: oldest bucket now 9
    expect(p.list('n', 5 * W, 100, 2 * W - 1).map((r) => r.name)).toEqual(['settled']);
  });

  it('keeps exactly the buckets noted and not yet covered, over several words of its bit set (against a set of buckets)', () => {
    // A seeded walk of notes in any order and checkpoints anywhere, checked after every step
    // against the plain model: the buckets noted, less those a checkpoint covered whole.
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let round = 0; round < 200; round++) {
      const p = new PendingWindows(W);
      let model: { last: number; buckets: Set<number> } | undefined;
      for (let step = 0; step < 40; step++) {
        if (rnd(4) > 0) {
          const t = rnd(150) * W + rnd(W);
          p.note('n', 'a', t);
          model ??= { last: t, buckets: new Set() };
          model.last = Math.max(model.last, t);
          model.buckets.add(bucketOf(t, W));
        } else {
          const c = rnd(150 * W);
          p.settle(a, c);
          if (model && model.last <= c) model = undefined;
          else if (model) for (const bk of [...model.buckets]) if (bucketEndUs(bk, W) <= c) model.buckets.delete(bk);
        }
        const want = model && { lastWriteUs: model.last, buckets: [...model.buckets].sort((x, y) => x - y) };
        expect(p.get(a)).toEqual(want);
        expect(p.lastWriteUs(a)).toBe(model?.last ?? 0);
        expect(p.floor('n')).toBe(want?.buckets[0]);
      }
    }
  });

  it('settles across word boundaries, and grows downwards past its first word', () => {
    const p = new PendingWindows(W);
    for (let s = 100; s < 200; s++) p.note('n', 'a', s * W + 5);
    expect(p.get(a)!.buckets).toHaveLength(100);
    p.settle(a, 159 * W + 5); // inside bucket 159: it stays
    expect(p.get(a)!.buckets[0]).toBe(159);
    expect(p.floor('n')).toBe(159);
    p.settle(a, 191 * W); // bucket 191 ends later: the first kept
    expect(p.get(a)!.buckets).toEqual([191, 192, 193, 194, 195, 196, 197, 198, 199]);
    p.note('n', 'a', 3 * W);
    expect(p.get(a)!.buckets.slice(0, 2)).toEqual([3, 191]);
    expect(p.floor('n')).toBe(3);
    expect(p.lastWriteUs(a)).toBe(199 * W + 5);
  });

  it('lists what a sort of every candidate would, for any limit (ties on the time included)', () => {
    let seed = 11;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let round = 0; round < 100; round++) {
      const p = new PendingWindows(W);
      const last = new Map<string, number>();
      const first = new Map<string, number>();
      for (let i = 0, n = 1 + rnd(300); i < n; i++) {
        const name = `c${rnd(200)}`;
        const t = rnd(40) * W + rnd(3) * 7; // few distinct times: many ties
        p.note('n', name, t);
        last.set(name, Math.max(last.get(name) ?? t, t));
        first.set(name, Math.min(first.get(name) ?? t, t));
      }
      const upTo = rnd(40) * W;
      const steady = rnd(2) === 0 ? Number.NEGATIVE_INFINITY : rnd(40) * W;
      const limit = rnd(250);
      const want = [...last]
        .filter(([name, t]) => t <= upTo || bucketEndUs(bucketOf(first.get(name)!, W), W) <= steady)
        .sort(([an, at], [bn, bt]) => at - bt || (an < bn ? -1 : an > bn ? 1 : 0))
        .slice(0, limit)
        .map(([name]) => name);
      expect(p.list('n', upTo, limit, steady).map((r) => r.name)).toEqual(want);
    }
  });
});
