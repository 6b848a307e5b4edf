jest.mock('node:timers/promises', () => jest.requireActual('../fakes').fakeTimersPromises);

import { counterKey, type CounterRef } from '../../../src/model';
import type { Router } from '../../../rollup/router';
import { BACKGROUND_COALESCE_MS } from '../../../rollup/sidecar';
import { flushMicrotasks } from '../fakes';
import { names, offers, ref, setup, useSidecarHooks } from './sidecarSetup';

useSidecarHooks();

describe('RollupSidecar offers', () => {
  it('routes each counter by its key and counts queued, coalesced and dropped offers', async () => {
    const route = jest.fn<number, [string]>(() => 0);
    const { s, metrics } = setup({ queueCapacity: 2 }, route);
    s.notify(ref('a'));
    s.notify(ref('a'));
    s.notify(ref('b'));
    s.notify(ref('c'));
    expect(route.mock.calls.map(([k]) => k)).toEqual(['a', 'a', 'b', 'c'].map((n) => counterKey(ref(n))));
    expect(offers(metrics, 'queued')).toBe(2);
    expect(offers(metrics, 'coalesced')).toBe(1);
    expect(offers(metrics, 'dropped')).toBe(1);
    expect(s.depth()).toBe(2);
  });

  it("notifyMany: one request's counters in one call, by the keys given, the metric counted once per outcome", () => {
    const route = jest.fn<number, [string]>(() => 0);
    const { s, metrics } = setup({ queueCapacity: 2 }, route);
    const refs = ['a', 'a', 'b', 'c'].map(ref);
    s.notifyMany(refs, refs.map(counterKey));
    expect(route.mock.calls.map(([k]) => k)).toEqual(refs.map(counterKey));
    expect(metrics.rollupOffers.calls.map((c) => [c.labels, c.n])).toEqual([
      [{ outcome: 'queued' }, 2],
      [{ outcome: 'coalesced' }, 1],
      [{ outcome: 'dropped' }, 1],
    ]);
    expect(s.depth()).toBe(2);
  });

  it('depth() sums all queues and start() exposes it as metrics.queueDepth', async () => {
    const { s, metrics } = setup({ queues: 3 }, (k) => k.length % 3);
    s.start();
    for (const n of ['a', 'bb', 'ccc', 'dddd']) s.notify(ref(n));
    expect(s.depth()).toBe(4);
    expect(metrics.queueDepth()).toBe(4);
    await jest.advanceTimersByTimeAsync(25);
    expect(metrics.queueDepth()).toBe(0);
  });

  it('never throws on a full queue: the offer is dropped and the rest go on', () => {
    const { s, metrics } = setup({ queueCapacity: 1 });
    expect(() => {
      for (const n of names(5)) s.notify(ref(n));
    }).not.toThrow();
    expect(s.depth()).toBe(1);
    expect(offers(metrics, 'dropped')).toBe(4);
  });
});

describe('RollupSidecar draining', () => {
  it('waits coalesceMs after waking, so repeats of a counter are rolled up once', async () => {
    const { s, work, batches } = setup({ batchMin: 8 });
    s.start();
    s.notify(ref('a'));
    await jest.advanceTimersByTimeAsync(10);
    s.notify(ref('a'));
    s.notify(ref('b'));
    await jest.advanceTimersByTimeAsync(14);
    expect(work).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([['a', 'b']]);
  });

  it('with coalesceMs 0 rolls a counter up without any timer', async () => {
    const { s, batches } = setup({ coalesceMs: 0 });
    s.start();
    s.notify(ref('a'));
    await flushMicrotasks();
    expect(batches).toEqual([['a']]);
  });

  it('counts rolled-up counters and observes each batch duration in seconds', async () => {
    const { s, metrics, duration } = setup({ coalesceMs: 0, batchMin: 2, batchTargetMs: 1000 });
    duration.ms = (i) => (i === 0 ? 40 : 10);
    for (const n of names(3)) s.notify(ref(n));
    s.start();
    await jest.advanceTimersByTimeAsync(200);
    expect(metrics.rollupCounters.total()).toBe(3);
    expect(metrics.rollupBatchSeconds.values).toEqual([0.04, 0.01]);
    expect(metrics.rollupErrors.total()).toBe(0);
  });

  it('keeps one drainer per queue, each with its own batch size', async () => {
    const route: Router = (k) => (k.includes('\u0000x') ? 1 : 0);
    const { s, batches } = setup({ queues: 2, coalesceMs: 0, batchMin: 2, batchMax: 8 }, route);
    s.start();
    for (const n of names(14, 'c')) s.notify(ref(n));
    await flushMicrotasks(100);
    for (const n of names(5, 'x')) s.notify(ref(n));
    await flushMicrotasks(100);
    const q0 = batches.filter((b) => b[0]!.startsWith('c')).map((b) => b.length);
    const q1 = batches.filter((b) => b[0]!.startsWith('x')).map((b) => b.length);
    expect(q0).toEqual([2, 4, 8]);
    expect(q1).toEqual([2, 3]);
    expect(batches.every((b) => b.every((n) => n[0] === b[0]![0]))).toBe(true);
  });
});

describe('RollupSidecar batch sizing', () => {
  it('doubles the batch size after full batches well under target, up to batchMax', async () => {
    const { s, batches } = setup({ coalesceMs: 0, batchMin: 2, batchMax: 8, batchTargetMs: 20 });
    for (const n of names(20)) s.notify(ref(n));
    s.start();
    await flushMicrotasks(100);
    expect(batches.map((b) => b.length)).toEqual([2, 4, 8, 6]);
    expect(batches.flat()).toEqual(names(20));
  });

  it('does not grow after a batch that was not full', async () => {
    const { s, batches } = setup({ coalesceMs: 0, batchMin: 4, batchMax: 16 });
    s.start();
    for (const n of names(3)) s.notify(ref(n));
    await flushMicrotasks(100);
    for (const n of names(10, 'd')) s.notify(ref(n));
    await flushMicrotasks(100);
    expect(batches.map((b) => b.length)).toEqual([3, 4, 6]);
  });

  it('halves the batch size after a batch over target when no backlog waits, down to batchMin', async () => {
    const { s, batches, duration } = setup({ coalesceMs: 0, batchMin: 2, batchMax: 16, batchTargetMs: 20 });
    s.start();
    for (const n of names(30)) s.notify(ref(n));
    await flushMicrotasks(200);
    expect(batches.map((b) => b.length)).toEqual([2, 4, 8, 16]);
    duration.ms = () => 30;
    const rounds: number[][] = [];
    for (const prefix of ['d', 'e', 'f', 'g']) {
      const before = batches.length;
      for (const n of names(5, prefix)) s.notify(ref(n));
      await jest.advanceTimersByTimeAsync(500);
      rounds.push(batches.slice(before).map((b) => b.length));
    }
    // 16 -> 8 -> 4 -> 2; a full batch of 2 with 3 waiting behind it grows again (backlog).
    expect(rounds).toEqual([[5], [5], [4, 1], [2, 3]]);
  });

  it('grows while a backlog waits, however long the batches take (their time is then mostly waiting)', async () => {
    const { s, batches, duration } = setup({ coalesceMs: 0, batchMin: 2, batchMax: 16, batchTargetMs: 20 });
    duration.ms = () => 30;
    for (const n of names(30)) s.notify(ref(n));
    s.start();
    await jest.advanceTimersByTimeAsync(2000);
    expect(batches.map((b) => b.length)).toEqual([2, 4, 8, 16]);
  });

  it('keeps the size for batches between half the target and the target (both edges included)', async () => {
    const { s, batches, duration } = setup({ coalesceMs: 0, batchMin: 2, batchMax: 16, batchTargetMs: 20 });
    const ms = [10, 20, 15, 20];
    duration.ms = (i) => ms[i] ?? 0;
    s.start();
    for (const prefix of ['a', 'b', 'c', 'd', 'e']) {
      for (const n of names(prefix === 'e' ? 4 : 2, prefix)) s.notify(ref(n));
      await jest.advanceTimersByTimeAsync(100);
    }
    expect(batches.map((b) => b.length)).toEqual([2, 2, 2, 2, 2, 2]);
  });
});

describe('RollupSidecar back-pressure', () => {
  it('pauses as long as the last batch took before taking the next one', async () => {
    const { s, work, startedAt, duration } = setup({ coalesceMs: 0, batchMin: 1, batchMax: 1, batchTargetMs: 1000 });
    duration.ms = () => 40;
    s.notify(ref('a'));
    s.notify(ref('b'));
    s.start();
    await jest.advanceTimersByTimeAsync(79);
    expect(work).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(work).toHaveBeenCalledTimes(2);
    expect(startedAt).toEqual([0, 80]);
  });

  it('caps the pause at one second', async () => {
    const { s, work, startedAt, duration } = setup({ coalesceMs: 0, batchMin: 1, batchMax: 1, batchTargetMs: 10_000 });
    duration.ms = (i) => (i === 0 ? 3000 : 0);
    s.notify(ref('a'));
    s.notify(ref('b'));
    s.start();
    await jest.advanceTimersByTimeAsync(3999);
    expect(work).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(startedAt).toEqual([0, 4000]);
  });

  it('does not pause after a batch under a millisecond', async () => {
    const { s, batches, duration } = setup({ coalesceMs: 0, batchMin: 1, batchMax: 1 });
    duration.ms = () => 0;
    for (const n of names(3)) s.notify(ref(n));
    s.start();
    await flushMicrotasks(100);
    expect(batches).toEqual([['c0'], ['c1'], ['c2']]);
  });
});

describe('RollupSidecar failed batches', () => {
  it('counts the error, logs it, and pauses min(1s, sweepIntervalMs) before the next batch', async () => {
    const { s, work, failing, metrics, log } = setup({ coalesceMs: 0, batchMin: 1, batchMax: 1, sweepIntervalMs: 300 });
    failing.add(0);
    s.notify(ref('a'));
    s.notify(ref('b'));
    s.start();
    await flushMicrotasks();
    expect(metrics.rollupErrors.total()).toBe(1);
    expect(metrics.rollupCounters.total()).toBe(0);
    expect(log.warn).toHaveBeenCalledWith(expect.objectContaining({ counters: 1, err: expect.any(Error) }), 'roll-up batch failed');
    await jest.advanceTimersByTimeAsync(299);
    expect(work).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(2000);
    expect(work).toHaveBeenCalledTimes(2);
    expect(work.mock.calls[1]![0]).toEqual([ref('b')]);
    expect(metrics.rollupCounters.total()).toBe(1);
  });

  it('caps the retry pause at one second when the sweep interval is longer', async () => {
    const { s, work, failing } = setup({ coalesceMs: 0, batchMin: 1, batchMax: 1, sweepIntervalMs: 60_000 });
    failing.add(0);
    s.notify(ref('a'));
    s.notify(ref('b'));
    s.start();
    await jest.advanceTimersByTimeAsync(999);
    expect(work).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(5000);
    expect(work).toHaveBeenCalledTimes(2);
  });

  it('does not requeue the failed counters: the sweeper offers them again', async () => {
    const { s, batches, failing, pending } = setup({ coalesceMs: 0, sweepIntervalMs: 500 });
    failing.add(0);
    s.notify(ref('a'));
    s.start();
    await flushMicrotasks();
    expect(batches).toEqual([['a']]);
    pending.mockResolvedValueOnce([ref('a')]);
    await jest.advanceTimersByTimeAsync(499);
    expect(batches).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1001);
    expect(pending).toHaveBeenLastCalledWith({ all: false });
    expect(batches).toEqual([['a'], ['a']]);
  });
});

describe('RollupSidecar notifyRead', () => {
  it('offers a counter never rolled up by this process', () => {
    const { s, metrics } = setup();
    s.notifyRead(ref('a'));
    expect(offers(metrics, 'queued')).toBe(1);
    expect(s.depth()).toBe(1);
  });

  it('skips a counter rolled up since its last write, for readRefreshMs when other writers exist', async () => {
    const { s, metrics, batches } = setup({ sweepIntervalMs: 100, readRefreshMs: 1000 });
    s.start();
    s.notify(ref('a'));
    await jest.advanceTimersByTimeAsync(25); // rolled up at t=25
    expect(batches).toEqual([['a']]);
    await jest.advanceTimersByTimeAsync(999); // t=1024
    s.notifyRead(ref('a'));
    expect(offers(metrics, 'fresh')).toBe(1);
    expect(s.depth()).toBe(0);
    await jest.advanceTimersByTimeAsync(1); // t=1025: the roll-up is readRefreshMs old
    s.notifyRead(ref('a'));
    expect(offers(metrics, 'fresh')).toBe(1);
    expect(s.depth()).toBe(1);
    // A refresh nobody waits for: background work, taken once BACKGROUND_COALESCE_MS gathered it.
    await jest.advanceTimersByTimeAsync(BACKGROUND_COALESCE_MS - 1);
    expect(batches).toEqual([['a']]);
    await jest.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([['a'], ['a']]);
  });

  it('a read of a counter whose refresh is queued or running leaves it background work', async () => {
    const { s, metrics, batches, duration } = setup({ sweepIntervalMs: 100, readRefreshMs: 1000 });
    s.start();
    s.notify(ref('a'));
    await jest.advanceTimersByTimeAsync(25); // rolled up at t=25
    await jest.advanceTimersByTimeAsync(1000); // t=1025: old, so the next read queues a refresh
    s.notifyRead(ref('a'));
    expect(s.depth()).toBe(1);
    const coalesced = offers(metrics, 'coalesced');
    await jest.advanceTimersByTimeAsync(10);
    s.notifyRead(ref('a')); // served from the cache: the queued refresh brings what it could
    s.notifyRead(ref('a'));
    expect(offers(metrics, 'coalesced')).toBe(coalesced + 2);
    await jest.advanceTimersByTimeAsync(BACKGROUND_COALESCE_MS - 12);
    expect(batches).toEqual([['a']]); // still gathering
    duration.ms = () => 50;
    await jest.advanceTimersByTimeAsync(2);
    expect(batches).toEqual([['a'], ['a']]);
    s.notifyRead(ref('a')); // in flight, no write since: nothing more to offer
    expect(offers(metrics, 'coalesced')).toBe(coalesced + 3);
    expect(s.depth()).toBe(0);
    // a write while it is in flight: queued again (the batch may have missed it), and a read then adds nothing
    s.notify(ref('a'));
    s.notifyRead(ref('a'));
    expect(s.depth()).toBe(1);
  });

  it('cuts the gathering of background work short when urgent work arrives', async () => {
    const { s, pending, batches } = setup({ batchMin: 8 });
    pending.mockResolvedValueOnce([ref('swept')]);
    s.start();
    await jest.advanceTimersByTimeAsync(100);
    expect(batches).toEqual([]);
    s.notify(ref('written')); // the drainer woke coalesceMs ago and more: it takes both at once
    await jest.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([['written', 'swept']]);
  });

  it('with an exclusive store, a rolled-up counter stays fresh until its next write', async () => {
    const { s, metrics } = setup({ exclusiveStore: true, sweepIntervalMs: 1000 });
    s.start();
    s.notify(ref('a'));
    await jest.advanceTimersByTimeAsync(25);
    await jest.advanceTimersByTimeAsync(60_000);
    s.notifyRead(ref('a'));
    s.notifyRead(ref('a'));
    expect(offers(metrics, 'fresh')).toBe(2);
    expect(s.depth()).toBe(0);
    s.notify(ref('a'));
    expect(s.depth()).toBe(1);
    await jest.advanceTimersByTimeAsync(25);
    s.notifyRead(ref('a'));
    expect(offers(metrics, 'fresh')).toBe(3);
  });

  it('a write after the roll-up makes the next read offer it again', async () => {
    const { s, metrics } = setup({ exclusiveStore: true });
    s.start();
    s.notify(ref('a'));
    await jest.advanceTimersByTimeAsync(25);
    s.notify(ref('a'));
    expect(s.depth()).toBe(1);
    s.notifyRead(ref('a'));
    expect(offers(metrics, 'fresh')).toBe(0);
    expect(offers(metrics, 'coalesced')).toBe(1);
  });

  it('a write whose offer is dropped (queue full) makes the next read offer it again', async () => {
    const { s, metrics } = setup({ exclusiveStore: true, queueCapacity: 1 });
    s.start();
    s.notify(ref('a'));
    await jest.advanceTimersByTimeAsync(25); // a rolled up: fresh
    s.notify(ref('b')); // fills the queue
    s.notify(ref('a')); // dropped: nothing will roll a up but the sweeper
    expect(offers(metrics, 'dropped')).toBe(1);
    s.notifyRead(ref('a'));
    expect(offers(metrics, 'fresh')).toBe(0);
    expect(offers(metrics, 'dropped')).toBe(2); // offered again (the queue is still full)
  });

  it('a write while its batch is in flight keeps the counter from being marked fresh', async () => {
    const control = setup({ exclusiveStore: true, batchTargetMs: 1000 });
    const written = setup({ exclusiveStore: true, batchTargetMs: 1000 });
    for (const x of [control, written]) {
      x.duration.ms = () => 50;
      x.s.start();
      x.s.notify(ref('a'));
    }
    await jest.advanceTimersByTimeAsync(40); // both batches in flight (25..75)
    written.s.notify(ref('a'));
    written.s.notifyRead(ref('b')); // unrelated counter, not in flight
    await jest.advanceTimersByTimeAsync(36); // t=76: batches done
    control.s.notifyRead(ref('a'));
    written.s.notifyRead(ref('a'));
    expect(offers(control.metrics, 'fresh')).toBe(1);
    expect(offers(written.metrics, 'fresh')).toBe(0);
    // a (twice), b, and this read of a: offered again (taken at once: no pause after a batch that emptied the queue).
    expect(offers(written.metrics, 'queued') + offers(written.metrics, 'coalesced')).toBe(4);
  });

  it('a counter in two batches at once: only the newer one ends its in-flight state or makes it fresh', async () => {
    const { s, metrics, batches, duration } = setup({ exclusiveStore: true });
    // Batch 0 publishes at once and writes its checkpoint for 100 ms; batch 1 takes 100 ms to publish.
    duration.ms = (i) => [100, 200][i] ?? 0;
    duration.publish = (i) => (i === 1 ? 100 : 0);
    s.start();
    s.notify(ref('a'));
    await jest.advanceTimersByTimeAsync(30); // t=30: batch 0 (from t=25) published, still writing
    s.notify(ref('a')); // a write batch 0 did not see
    await jest.advanceTimersByTimeAsync(25); // t=55: batch 1 takes a again
    expect(batches).toEqual([['a'], ['a']]);
    await jest.advanceTimersByTimeAsync(75); // t=130: batch 0 done, batch 1 in flight
    s.notifyRead(ref('a'));
    expect(offers(metrics, 'fresh')).toBe(0);
    await jest.advanceTimersByTimeAsync(200); // batch 1 and the roll-up of that read done
    s.notifyRead(ref('a'));
    expect(offers(metrics, 'fresh')).toBe(1);
  });

  it('a failed roll-up does not make the counter fresh', async () => {
    const { s, metrics, failing } = setup({ exclusiveStore: true, coalesceMs: 0 });
    failing.add(0);
    s.start();
    s.notify(ref('a'));
    await flushMicrotasks();
    expect(metrics.rollupErrors.total()).toBe(1);
    s.notifyRead(ref('a'));
    expect(offers(metrics, 'fresh')).toBe(0);
    expect(offers(metrics, 'queued')).toBe(2);
  });

  it('forgets every fresh counter once more are remembered than the queues can hold', async () => {
    const { s, metrics } = setup({ exclusiveStore: true, coalesceMs: 0, queues: 1, queueCapacity: 2, batchMin: 2, batchMax: 2 });
    s.start();
    for (const batch of [['a', 'b'], ['c'], ['d']]) {
      for (const n of batch) s.notify(ref(n));
      await flushMicrotasks();
    }
    // fresh held a, b, c (3 > 2) when d's batch finished: cleared, then d set.
    s.notifyRead(ref('d'));
    expect(offers(metrics, 'fresh')).toBe(1);
    s.notifyRead(ref('a'));
    expect(offers(metrics, 'fresh')).toBe(1);
    expect(s.depth()).toBe(1);
  });
});

describe('RollupSidecar sweeps', () => {
  it('sweeps everything once at start and offers what it finds, logging how many', async () => {
    const { s, pending, batches, log } = setup({ batchMin: 8 });
    pending.mockResolvedValueOnce([ref('x'), ref('y')]);
    s.start();
    expect(pending).toHaveBeenCalledTimes(1);
    expect(pending).toHaveBeenCalledWith({ all: true });
    await jest.advanceTimersByTimeAsync(25);
    expect(batches).toEqual([]); // background work gathers longer
    await jest.advanceTimersByTimeAsync(BACKGROUND_COALESCE_MS - 25);
    expect(batches).toEqual([['x', 'y']]);
    expect(log.info).toHaveBeenCalledWith({ counters: 2 }, expect.any(String));
  });

  it('logs nothing when the start-up sweep finds nothing', async () => {
    const { s, log } = setup();
    s.start();
    await flushMicrotasks();
    expect(log.info).not.toHaveBeenCalled();
  });

  it('sweeps settled counters every sweepIntervalMs, without the start-up log', async () => {
    const { s, pending, log, batches } = setup({ sweepIntervalMs: 200 });
    s.start();
    await flushMicrotasks();
    pending.mockResolvedValueOnce([ref('late')]);
    await jest.advanceTimersByTimeAsync(199);
    expect(pending).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(pending).toHaveBeenCalledTimes(2);
    expect(pending).toHaveBeenLastCalledWith({ all: false });
    await jest.advanceTimersByTimeAsync(400);
    expect(pending).toHaveBeenCalledTimes(4);
    expect(batches).toEqual([['late']]);
    expect(log.info).not.toHaveBeenCalled();
  });

  it('logs a failed sweep and tries again on the next interval', async () => {
    const { s, pending, log, batches } = setup({ sweepIntervalMs: 100 });
    pending.mockRejectedValueOnce(new Error('store down'));
    s.start();
    await flushMicrotasks();
    expect(log.warn).toHaveBeenCalledWith({ err: expect.any(Error) }, 'roll-up sweep failed; retrying on the next interval');
    pending.mockResolvedValueOnce([ref('a')]);
    await jest.advanceTimersByTimeAsync(100 + BACKGROUND_COALESCE_MS);
    expect(batches).toEqual([['a']]);
  });

  it('skips an interval while the previous sweep is still running', async () => {
    const { s, pending } = setup({ sweepIntervalMs: 100 });
    let release: (v: CounterRef[]) => void = () => {};
    pending.mockImplementationOnce(() => new Promise<CounterRef[]>((r) => (release = r)));
    s.start();
    await jest.advanceTimersByTimeAsync(350);
    expect(pending).toHaveBeenCalledTimes(1);
    release([]);
    await jest.advanceTimersByTimeAsync(100);
    expect(pending).toHaveBeenCalledTimes(2);
  });
});

describe('RollupSidecar stop', () => {
  it('finishes queued work without waiting out the coalesce window', async () => {
    const { s, batches } = setup({ coalesceMs: 10_000 });
    s.start();
    s.notify(ref('a'));
    s.notify(ref('b'));
    await flushMicrotasks();
    expect(batches).toEqual([]);
    await s.stop(); // no timer advanced: the pause is cut
    expect(batches).toEqual([['a', 'b']]);
  });

  it('finishes every queued batch, not just the next one', async () => {
    const { s, batches } = setup({ coalesceMs: 10_000, batchMin: 2, batchMax: 2 });
    for (const n of names(7)) s.notify(ref(n));
    s.start();
    await s.stop();
    expect(batches.flat()).toEqual(names(7));
    expect(s.depth()).toBe(0);
  });

  it('cuts a back-pressure pause short', async () => {
    const { s, startedAt, duration } = setup({ coalesceMs: 0, batchMin: 1, batchMax: 1, batchTargetMs: 10_000 });
    duration.ms = () => 100;
    s.notify(ref('a'));
    s.notify(ref('b'));
    s.start();
    await jest.advanceTimersByTimeAsync(110); // a done at 100, pausing until 200
    const stopped = s.stop();
    await jest.advanceTimersByTimeAsync(100); // b's own work
    await stopped;
    expect(startedAt).toEqual([0, 110]);
  });

  it('cuts the retry pause after a failed batch short', async () => {
    const { s, startedAt, failing } = setup({ coalesceMs: 0, batchMin: 1, batchMax: 1, sweepIntervalMs: 1000 });
    failing.add(0);
    s.notify(ref('a'));
    s.notify(ref('b'));
    s.start();
    await jest.advanceTimersByTimeAsync(10);
    await s.stop();
    expect(startedAt).toEqual([0, 10]);
  });

  it('ignores offers after stop', async () => {
    const { s, work, metrics } = setup();
    s.start();
    await s.stop();
    s.notify(ref('a'));
    s.notifyRead(ref('b'));
    expect(metrics.rollupOffers.calls).toEqual([]);
    expect(s.depth()).toBe(0);
    await jest.advanceTimersByTimeAsync(1000);
    expect(work).not.toHaveBeenCalled();
  });

  it('stops the periodic sweep', async () => {
    const { s, pending } = setup({ sweepIntervalMs: 100 });
    s.start();
    await s.stop();
    await jest.advanceTimersByTimeAsync(1000);
    expect(pending).toHaveBeenCalledTimes(1);
  });

  it('returns at once with idle drainers, and a second stop is a no-op', async () => {
    const { s, work } = setup();
    s.start();
    await flushMicrotasks();
    await s.stop();
    await s.stop();
    expect(work).not.toHaveBeenCalled();
  });

  it('waits for the batch in flight before resolving', async () => {
    const { s, duration } = setup({ coalesceMs: 0 });
    duration.ms = () => 50;
    s.notify(ref('a'));
    s.start();
    await flushMicrotasks();
    let done = false;
    const p = s.stop().then(() => (done = true));
    await jest.advanceTimersByTimeAsync(49);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await p;
    expect(done).toBe(true);
  });
});
