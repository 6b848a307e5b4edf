import { DurableCounters, type DurableItem } from '../../../../src/counters/durable';
import { OverflowGuard } from '../../../../src/counters/overflowGuard';
import { msToUs } from '../../../../src/clock';
import { CounterError } from '../../../../src/errors';
import { counterKey, INT64_MAX, type CounterEvent, type CounterRef, type NamespaceConfig } from '../../../../src/model';
import type { SnapshotQuery } from '../../../../src/store/types';
import { asMetrics, FakeConvergedCache, fakeMetrics, MemoryStore, nsConfig } from '../../fakes';

const NOW = 1_700_000_000_000;
const SKEW = 1000;
const ev = nsConfig('ev', 'EVENTUAL', { acceptLimitMs: 5000 });
const acc = nsConfig('acc', 'ACCURATE', { acceptLimitMs: 2000 });
let seq = 0;
const event = (ns: NamespaceConfig, name: string, delta: bigint, over: Partial<CounterEvent> = {}): CounterEvent => ({
  namespace: ns.name,
  name,
  timeUs: msToUs(NOW),
  eventId: `e${seq++}`,
  clear: false,
  delta,
  ...over,
});
const items = (...events: [NamespaceConfig, CounterEvent][]): DurableItem[] => events.map(([ns, e], i) => ({ i, ns, event: e }));
const r = (namespace: string, name: string): CounterRef => ({ namespace, name });
const EDGE = 1n << 62n;
/** A counter whose checkpoint holds `count`, nothing pending. */
const seed = (store: MemoryStore, ref: CounterRef, count: bigint) => store.writeCheckpoints([{ ref, count, checkpointUs: 1 }]);

function setup(followedOnly = false) {
  const store = new MemoryStore();
  const read = jest.spyOn(store, 'readSnapshots');
  const append = jest.spyOn(store, 'append');
  const converged = new FakeConvergedCache();
  const guard = new OverflowGuard(100);
  const trigger = { notify: jest.fn(), notifyMany: jest.fn(), notifyRead: jest.fn(), notifyLater: jest.fn() };
  const metrics = fakeMetrics();
  const d = new DurableCounters(store, converged, guard, trigger, asMetrics(metrics), SKEW, followedOnly);
  return { d, store, read, append, converged, guard, trigger, metrics };
}

const readRefs = (read: jest.SpyInstance): CounterRef[][] => read.mock.calls.map(([q]) => (q as SnapshotQuery).refs);

beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW));
afterEach(() => jest.restoreAllMocks());

describe('DurableCounters.add', () => {
  it('reads the unknown bases first, in one read per namespace, each counter once', async () => {
    const { d, read } = setup();
    await d.add(items([ev, event(ev, 'a', 1n)], [acc, event(acc, 'x', 1n)], [ev, event(ev, 'a', 2n)], [ev, event(ev, 'b', 1n)]));
    expect(readRefs(read)).toEqual([[r('ev', 'a'), r('ev', 'b')], [r('acc', 'x')]]);
    expect(read.mock.calls.map(([q]) => q.settleUs)).toEqual([msToUs(NOW - 6000), msToUs(NOW - 3000)]);
  });

  it('does not acknowledge a write the store confirmed only after the roll-up may have settled past it', async () => {
    const { d, append, metrics } = setup();
    // ev settles an event of time NOW at NOW + 5000 (accept limit) + 1000 (skew margin).
    const inTime = event(ev, 'a', 1n, { timeUs: msToUs(NOW - 5999) });
    const tooLate = event(ev, 'b', 1n, { timeUs: msToUs(NOW - 6001) });
    append.mockImplementationOnce(async (events) => events.map(() => ({ applied: true })));
    const out = await d.add(items([ev, inTime], [ev, tooLate]));
    expect(out.get(0)).toMatchObject({ applied: true });
    const refused = out.get(1) as CounterError;
    expect(refused).toBeInstanceOf(CounterError);
    expect(refused.code).toBe('UNAVAILABLE');
    expect(refused.message).toMatch(/may not be counted/);
    expect(metrics.writes.total({ outcome: 'unconfirmed' })).toBe(1);
    expect(metrics.writes.total({ outcome: 'applied' })).toBe(1);
  });

  it('does not read bases it already knows', async () => {
    const { d, read, guard } = setup();
    guard.observe(r('ev', 'a'), 10n);
    await d.add(items([ev, event(ev, 'a', 1n)]));
    expect(read).not.toHaveBeenCalled();
  });

  it('appends every admitted add in one call, in item order, and answers by item position', async () => {
    const { d, append } = setup();
    const es = [event(ev, 'a', 1n), event(acc, 'x', 2n), event(ev, 'b', 3n)];
    const out = await d.add([
      { i: 4, ns: ev, event: es[0]! },
      { i: 7, ns: acc, event: es[1]! },
      { i: 9, ns: ev, event: es[2]! },
    ]);
    expect(append).toHaveBeenCalledTimes(1);
    expect(append).toHaveBeenCalledWith(es);
    expect([...out.keys()]).toEqual([4, 7, 9]);
    expect(out.get(7)).toEqual({ counter: { namespace: 'acc', name: 'x', mode: 'ACCURATE' }, applied: true });
  });

  it('notifies the roll-up of each stored add and counts writes by outcome', async () => {
    const { d, trigger, metrics } = setup();
    const e = event(ev, 'a', 1n);
    await d.add(items([ev, e]));
    trigger.notifyMany.mockClear();
    const out = await d.add(items([ev, { ...e }])); // a retry: same key
    expect(out.get(0)).toMatchObject({ applied: false });
    expect(trigger.notifyMany).toHaveBeenCalledTimes(1);
    expect(trigger.notifyMany).toHaveBeenCalledWith([e], [counterKey(e)]);
    expect(metrics.writes.calls.map((c) => c.labels)).toEqual([
      { mode: 'EVENTUAL', outcome: 'applied' },
      { mode: 'EVENTUAL', outcome: 'duplicate' },
    ]);
  });

  it('refuses only the item that would overflow; the others are stored', async () => {
    const { d, store, append } = setup();
    await seed(store, r('ev', 'big'), INT64_MAX - 1n);
    const out = await d.add(items([ev, event(ev, 'big', 5n)], [ev, event(ev, 'small', 1n)]));
    expect(out.get(0)).toBeInstanceOf(CounterError);
    expect((out.get(0) as CounterError).code).toBe('COUNT_OVERFLOW');
    expect(out.get(1)).toMatchObject({ applied: true });
    expect(append.mock.calls[0]![0].map((e) => e.name)).toEqual(['small']);
    expect(store.events.has('ev\u0000big')).toBe(false);
  });

  it('re-reads a counter whose known value is near the edge instead of trusting it', async () => {
    const { d, store, guard, read } = setup();
    await seed(store, r('ev', 'a'), 0n);
    guard.observe(r('ev', 'a'), INT64_MAX); // stale: the store says 0
    const out = await d.add(items([ev, event(ev, 'a', 1n)]));
    expect(readRefs(read)).toEqual([[r('ev', 'a')]]);
    expect(out.get(0)).toMatchObject({ applied: true });
  });

  it('checks items of one request against each other: together they cannot leave the range', async () => {
    const { d, store, read } = setup();
    await seed(store, r('ev', 'a'), INT64_MAX - 10n);
    const out = await d.add(items([ev, event(ev, 'a', 6n)], [ev, event(ev, 'a', 5n)], [ev, event(ev, 'a', 4n)]));
    expect([0, 1, 2].map((i) => (out.get(i) instanceof CounterError ? (out.get(i) as CounterError).code : 'ok'))).toEqual([
      'ok',
      'COUNT_OVERFLOW',
      'ok',
    ]);
    expect(read).toHaveBeenCalledTimes(1);
  });

  it('does not call the store to append when every item is refused', async () => {
    const { d, store, append } = setup();
    await seed(store, r('ev', 'a'), INT64_MAX);
    const out = await d.add(items([ev, event(ev, 'a', 1n)]));
    expect((out.get(0) as CounterError).code).toBe('COUNT_OVERFLOW');
    expect(append).not.toHaveBeenCalled();
  });

  it("refuses with UNAVAILABLE the items of a namespace whose bases cannot be read, and stores the others", async () => {
    const { d, read, store } = setup();
    const cause = new Error('acc read failed');
    const real = MemoryStore.prototype.readSnapshots;
    read.mockImplementation(async function (this: MemoryStore, q: SnapshotQuery) {
      if (q.refs[0]!.namespace === 'acc') throw cause;
      return real.call(store, q);
    });
    const out = await d.add(items([acc, event(acc, 'x', 1n)], [ev, event(ev, 'a', 1n)], [acc, event(acc, 'y', 1n)]));
    for (const i of [0, 2]) {
      const err = out.get(i) as CounterError;
      expect(err.code).toBe('UNAVAILABLE');
      expect((err as { cause?: unknown }).cause).toBe(cause);
    }
    expect(out.get(1)).toMatchObject({ applied: true });
    expect([...store.events.keys()]).toEqual(['ev\u0000a']);
  });

  it('a failed append refuses every admitted item with UNAVAILABLE and releases their holds', async () => {
    const { d, store, trigger } = setup();
    await seed(store, r('ev', 'a'), INT64_MAX - 10n);
    await seed(store, r('ev', 'full'), INT64_MAX);
    store.failAppend = new Error('disk full');
    const out = await d.add(items([ev, event(ev, 'a', 10n)], [ev, event(ev, 'full', 1n)], [ev, event(ev, 'c', 1n)]));
    expect((out.get(0) as CounterError).code).toBe('UNAVAILABLE');
    expect(((out.get(0) as CounterError) as { cause?: Error }).cause?.message).toBe('disk full'); // logged, not answered
    expect((out.get(1) as CounterError).code).toBe('COUNT_OVERFLOW'); // its own refusal, not the store's
    expect((out.get(2) as CounterError).code).toBe('UNAVAILABLE');
    expect(trigger.notify).not.toHaveBeenCalled();
    expect(trigger.notifyMany).not.toHaveBeenCalled();
    store.failAppend = null;
    // the failed add's hold is gone: the same add fits again
    expect((await d.add(items([ev, event(ev, 'a', 10n)]))).get(0)).toMatchObject({ applied: true });
  });

  it('tells the guard what was stored: a stored add moves its known value', async () => {
    const { d, guard, read } = setup();
    guard.observe(r('ev', 'a'), EDGE - 10n);
    await d.add(items([ev, event(ev, 'a', 10n)]));
    expect(read).not.toHaveBeenCalled(); // judged from the known value
    await d.add(items([ev, event(ev, 'a', 1n)]));
    expect(read).toHaveBeenCalledTimes(1); // now at the edge: read first
  });

  it('a retry does not move the known value', async () => {
    const { d, guard, read } = setup();
    guard.observe(r('ev', 'a'), 0n);
    const e = event(ev, 'a', EDGE - 1n);
    await d.add(items([ev, e]));
    guard.observe(r('ev', 'a'), 1n);
    await d.add(items([ev, { ...e }])); // not applied: were it counted, 1 + delta would reach the edge
    await d.add(items([ev, event(ev, 'a', 1n)]));
    expect(read).not.toHaveBeenCalled();
  });
});

describe('DurableCounters.clear', () => {
  it('appends the clear, notifies the roll-up and answers the exact count after it', async () => {
    const { d, store, trigger } = setup();
    await store.append([event(ev, 'a', 5n, { timeUs: msToUs(NOW) - 10 })]);
    const clearEv = event(ev, 'a', 0n, { clear: true });
    const res = await d.clear(ev, clearEv);
    expect(res).toEqual({ counter: { namespace: 'ev', name: 'a', mode: 'EVENTUAL', count: 0n }, applied: true });
    expect(trigger.notify).toHaveBeenCalledWith(clearEv);
  });

  it('a retried clear is not applied, and still answers the current count', async () => {
    const { d, store, metrics } = setup();
    const clearEv = event(ev, 'a', 0n, { clear: true });
    await d.clear(ev, clearEv);
    await store.append([event(ev, 'a', 3n, { timeUs: msToUs(NOW) + 5 })]);
    const res = await d.clear(ev, { ...clearEv });
    expect(res.applied).toBe(false);
    expect(res.counter.count).toBe(3n);
    expect(metrics.writes.calls.map((c) => c.labels.outcome)).toEqual(['applied', 'duplicate']);
  });

  it('rejects when the store cannot append', async () => {
    const { d, store } = setup();
    store.failAppend = new Error('down');
    await expect(d.clear(ev, event(ev, 'a', 0n, { clear: true }))).rejects.toThrow('down');
  });
});

describe('DurableCounters.getCounts', () => {
  it('ACCURATE reads the store every time, never the converged cache', async () => {
    const { d, store, read, converged } = setup();
    await store.append([event(acc, 'x', 4n)]);
    expect(await d.getCounts(acc, [r('acc', 'x'), r('acc', 'y')])).toEqual([4n, 0n]);
    await store.append([event(acc, 'x', 1n)]);
    expect(await d.getCounts(acc, [r('acc', 'x')])).toEqual([5n]);
    expect(read).toHaveBeenCalledTimes(2);
    expect(converged.gets).toEqual([]);
  });

  it('EVENTUAL answers from the converged cache without reading the store, and offers each read', async () => {
    const { d, read, converged, trigger } = setup();
    await converged.setMany({ entries: [{ ref: r('ev', 'a'), value: 7n }, { ref: r('ev', 'b'), value: 8n }], asOfMs: 1 });
    expect(await d.getCounts(ev, [r('ev', 'b'), r('ev', 'a')])).toEqual([8n, 7n]);
    expect(read).not.toHaveBeenCalled();
    expect(trigger.notifyRead.mock.calls).toEqual([[r('ev', 'b')], [r('ev', 'a')]]);
  });

  it('EVENTUAL offers no roll-up for a counter it just computed (exact, and offered by the read if pending)', async () => {
    const { d, converged, trigger } = setup();
    await converged.setMany({ entries: [{ ref: r('ev', 'a'), value: 7n }], asOfMs: 1 });
    expect(await d.getCounts(ev, [r('ev', 'a'), r('ev', 'quiet')])).toEqual([7n, 0n]);
    expect(trigger.notifyRead.mock.calls).toEqual([[r('ev', 'a')]]);
    expect(trigger.notify).not.toHaveBeenCalled();
  });

  it('EVENTUAL, where writes offer only followed counters: offers every counter it computed, a pending one at once, the others as background work', async () => {
    const { d, store, converged, trigger } = setup(true);
    await store.append([event(ev, 'pending', 2n)]);
    await converged.setMany({ entries: [{ ref: r('ev', 'a'), value: 7n }], asOfMs: 1 });
    expect(await d.getCounts(ev, [r('ev', 'a'), r('ev', 'quiet'), r('ev', 'pending')])).toEqual([7n, 0n, 2n]);
    expect(trigger.notifyRead.mock.calls).toEqual([[r('ev', 'a')]]);
    expect(trigger.notify.mock.calls).toEqual([[r('ev', 'pending')]]);
    expect(trigger.notifyLater.mock.calls).toEqual([[[r('ev', 'quiet')]]]);
  });

  it('EVENTUAL computes the missing ones once, in one read, fills the cache, and keeps the order', async () => {
    const { d, store, read, converged } = setup();
    await store.append([event(ev, 'b', 2n), event(ev, 'd', 4n)]);
    await converged.setMany({ entries: [{ ref: r('ev', 'a'), value: 1n }, { ref: r('ev', 'c'), value: 3n }], asOfMs: 1 });
    const refs = ['a', 'b', 'c', 'd'].map((n) => r('ev', n));
    expect(await d.getCounts(ev, refs)).toEqual([1n, 2n, 3n, 4n]);
    expect(readRefs(read)).toEqual([[r('ev', 'b'), r('ev', 'd')]]);
    expect(converged.updates.at(-1)).toEqual({
      entries: [
        { ref: r('ev', 'b'), value: 2n },
        { ref: r('ev', 'd'), value: 4n },
      ],
      asOfMs: NOW,
    });
    expect(await d.getCounts(ev, refs)).toEqual([1n, 2n, 3n, 4n]);
    expect(read).toHaveBeenCalledTimes(1);
  });

  it('rejects when the store cannot be read', async () => {
    const { d, store } = setup();
    store.failRead = new Error('down');
    await expect(d.getCounts(acc, [r('acc', 'x')])).rejects.toThrow('down');
    await expect(d.getCounts(ev, [r('ev', 'x')])).rejects.toThrow('down');
  });
});

describe('DurableCounters.exactCounts', () => {
  it("folds checkpoint + settled + tail with the namespace's boundary", async () => {
    const { d, store, read } = setup();
    await store.append([event(ev, 'a', 2n, { timeUs: msToUs(NOW - 60_000) }), event(ev, 'a', 3n)]);
    await store.writeCheckpoints([{ ref: r('ev', 'a'), count: 10n, checkpointUs: msToUs(NOW - 120_000) }]);
    expect(await d.exactCounts(ev, [r('ev', 'a')])).toEqual([15n]);
    expect(read.mock.calls[0]![0].settleUs).toBe(msToUs(NOW - 6000));
  });

  it('tells the guard each exact count', async () => {
    const { d, guard } = setup();
    expect(guard.needsExactBase(event(ev, 'a', 1n))).toBe(true);
    await d.exactCounts(ev, [r('ev', 'a')]);
    expect(guard.needsExactBase(event(ev, 'a', 1n))).toBe(false);
  });

  it('offers the roll-up only the counters it found pending', async () => {
    const { d, store, trigger } = setup();
    await store.append([event(ev, 'pending', 1n), event(ev, 'done', 1n, { timeUs: msToUs(NOW - 60_000) })]);
    await store.writeCheckpoints([{ ref: r('ev', 'done'), count: 1n, checkpointUs: msToUs(NOW - 30_000) }]);
    await d.exactCounts(ev, [r('ev', 'pending'), r('ev', 'done'), r('ev', 'never')]);
    expect(trigger.notify.mock.calls).toEqual([[r('ev', 'pending')]]);
  });
});
