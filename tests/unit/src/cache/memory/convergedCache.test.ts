import { MemoryConvergedCache } from '../../../../../src/cache/memory/convergedCache';
import { counterKey, type CounterRef } from '../../../../../src/model';

const ref = (name: string, namespace = 'ns'): CounterRef => ({ namespace, name });

describe('MemoryConvergedCache', () => {
  it('keeps the newest value by asOf and says which entries changed', async () => {
    const c = new MemoryConvergedCache(10);
    expect(await c.setMany({ entries: [{ ref: ref('a'), value: 1n }, { ref: ref('b'), value: 0n }], asOfMs: 10 })).toEqual({ changed: [true, true] });
    // An older read never replaces a newer value; an equal value is no change.
    expect(await c.setMany({ entries: [{ ref: ref('a'), value: 5n }], asOfMs: 9 })).toEqual({ changed: [false] });
    expect(await c.setMany({ entries: [{ ref: ref('a'), value: 1n }], asOfMs: 11 })).toEqual({ changed: [false] });
    expect(await c.setMany({ entries: [{ ref: ref('a'), value: 2n }], asOfMs: 11 })).toEqual({ changed: [true] });
    // The asOf of an unchanged value still moved: a value read before it loses.
    expect(await c.setMany({ entries: [{ ref: ref('b'), value: 3n }], asOfMs: 10 })).toEqual({ changed: [true] });
    expect(await c.get([ref('a'), ref('b'), ref('c')])).toEqual([2n, 3n, undefined]);
  });

  it('uses the key given with an entry (the counterKey the caller already built)', async () => {
    const c = new MemoryConvergedCache(10);
    await c.setMany({ entries: [{ ref: ref('a'), value: 7n, key: counterKey(ref('a')) }], asOfMs: 1 });
    expect(await c.get([ref('a')])).toEqual([7n]);
  });

  it('holds at most max counters, dropping one not read since it was passed over', async () => {
    const c = new MemoryConvergedCache(2);
    await c.setMany({ entries: [{ ref: ref('a'), value: 1n }, { ref: ref('b'), value: 2n }], asOfMs: 1 });
    await c.get([ref('a')]);
    await c.setMany({ entries: [{ ref: ref('c'), value: 3n }], asOfMs: 2 });
    expect(await c.get([ref('a'), ref('b'), ref('c')])).toEqual([1n, undefined, 3n]);
  });

  it('holds: whether a value of the counter is here; refreshOnly updates those and adds none', async () => {
    const c = new MemoryConvergedCache(10);
    await c.setMany({ entries: [{ ref: ref('a'), value: 1n }], asOfMs: 1 });
    expect([c.holds(counterKey(ref('a'))), c.holds(counterKey(ref('b')))]).toEqual([true, false]);
    // A counter not held counts as changed (its roll-up publishes it) but is not added.
    expect(await c.setMany({ entries: [{ ref: ref('a'), value: 2n }, { ref: ref('b'), value: 5n }], asOfMs: 2, refreshOnly: true })).toEqual({ changed: [true, true] });
    expect(await c.get([ref('a'), ref('b')])).toEqual([2n, undefined]);
    expect(c.holds(counterKey(ref('b')))).toBe(false);
  });

  it("clears one namespace's counters and nothing else", async () => {
    const c = new MemoryConvergedCache(10);
    await c.setMany({ entries: [{ ref: ref('a', 'x'), value: 1n }, { ref: ref('b', 'x'), value: 2n }, { ref: ref('a', 'xy'), value: 3n }], asOfMs: 1 });
    expect(await c.clearNamespace('x')).toBe(2);
    expect(await c.get([ref('a', 'x'), ref('b', 'x'), ref('a', 'xy')])).toEqual([undefined, undefined, 3n]);
  });
});
