jest.mock('node:timers/promises', () => jest.requireActual('../fakes').fakeTimersPromises);

import { createRollup, type Rollup, type RollupDeps } from '../../../rollup/index';
import { BACKGROUND_COALESCE_MS } from '../../../rollup/sidecar';
import { MemoryConvergedCache } from '../../../src/cache/memory/convergedCache';
import { msToUs } from '../../../src/clock';
import type { Config } from '../../../src/config';
import { counterKey, type CounterEvent, type CounterRef } from '../../../src/model';
import {
  asLogger,
  asMetrics,
  FakeConvergedCache,
  fakeLog,
  fakeMetrics,
  FakeNamespaces,
  FakePubSub,
  flushMicrotasks,
  MemoryStore,
  nsConfig,
} from '../fakes';

const NOW = 1_700_000_000_000;
const ev = nsConfig('ev', 'EVENTUAL', { acceptLimitMs: 5000, retentionSeconds: 3600 });
const be = nsConfig('be', 'BEST_EFFORT');
const options: Config['rollup'] = {
  queues: 4,
  queueCapacity: 100,
  coalesceMs: 25,
  batchMin: 4,
  batchMax: 16,
  batchTargetMs: 25,
  skewMarginMs: 1000,
  sweepIntervalMs: 1000,
  readRefreshMs: 5000,
  localCacheSize: 1000,
  purgeIntervalMs: 60_000,
};
const ref = (name: string): CounterRef => ({ namespace: 'ev', name });
let seq = 0;
const add = (name: string, delta: bigint, timeMs = Date.now()): CounterEvent => ({
  namespace: 'ev',
  name,
  timeUs: msToUs(timeMs),
  eventId: `e${seq++}`,
  clear: false,
  delta,
});

let live: Rollup[] = [];

async function setup(over: Partial<RollupDeps> = {}, exclusive = false) {
  const store = new MemoryStore(exclusive);
  const converged = new FakeConvergedCache();
  const pubsub = new FakePubSub();
  const metrics = fakeMetrics();
  const log = fakeLog();
  const onRolledUp = jest.fn();
  const rollup = await createRollup({
    store,
    converged,
    pubsub,
    namespaces: new FakeNamespaces([ev, be]),
    metrics: asMetrics(metrics),
    log: asLogger(log),
    options,
    onRolledUp,
    ...over,
  });
  live.push(rollup);
  return { rollup, store, converged, pubsub, metrics, log, onRolledUp };
}

beforeEach(() => jest.useFakeTimers({ now: NOW }));
afterEach(async () => {
  const stopping = Promise.all(live.map((r) => r.stop()));
  await jest.runAllTimersAsync();
  await stopping;
  live = [];
  jest.useRealTimers();
});

describe('createRollup', () => {
  it('rolls up a notified counter: converged value, publish, onRolledUp, metrics', async () => {
    const { rollup, store, converged, pubsub, onRolledUp, metrics } = await setup();
    rollup.start();
    await store.append([add('a', 3n), add('a', 4n)]);
    rollup.trigger.notify(ref('a'));
    rollup.trigger.notify(ref('a'));
    await jest.advanceTimersByTimeAsync(options.coalesceMs);
    expect(converged.value(ref('a'))).toBe(7n);
    expect(pubsub.published).toEqual([{ namespace: 'ev', name: 'a', count: 7n, asOfMs: expect.any(Number) }]);
    expect(onRolledUp).toHaveBeenCalledWith(ref('a'), 7n, counterKey(ref('a'))); // the key the sidecar queued it by
    expect(metrics.rollupCounters.total()).toBe(1); // one roll-up for all the offers
  });

  it('rolls up each of many counters once, however they spread over the queues', async () => {
    const { rollup, store, converged, pubsub } = await setup();
    rollup.start();
    const names = Array.from({ length: 30 }, (_, i) => `c${i}`);
    await store.append(names.map((n, i) => add(n, BigInt(i))));
    for (const n of names) rollup.trigger.notify(ref(n));
    await jest.advanceTimersByTimeAsync(2000);
    expect(names.map((n) => converged.value(ref(n)))).toEqual(names.map((_, i) => BigInt(i)));
    expect(pubsub.published.map((u) => u.name).sort()).toEqual([...names].sort());
  });

  it('run() rolls counters up at once, outside the queues', async () => {
    const { rollup, store, converged } = await setup();
    await store.append([add('a', 5n)]);
    await rollup.run([ref('a')]);
    expect(converged.value(ref('a'))).toBe(5n);
  });

  it('pending lists every un-rolled counter with all, only settled ones without', async () => {
    const { rollup, store } = await setup();
    await store.append([add('old', 1n, NOW - 60_000), add('recent', 1n, NOW)]);
    expect(await rollup.pending({ all: true })).toEqual([ref('old'), ref('recent')]);
    expect(await rollup.pending({ all: false })).toEqual([ref('old')]);
  });

  it('start() sweeps what an earlier run left un-rolled and checkpoints it once settled', async () => {
    const { rollup, store, converged, log } = await setup();
    await store.append([add('left', 9n, NOW - 60_000)]);
    rollup.start();
    await jest.advanceTimersByTimeAsync(BACKGROUND_COALESCE_MS);
    expect(converged.value(ref('left'))).toBe(9n);
    // rolled up at NOW + BACKGROUND_COALESCE_MS (a sweep's offer): the checkpoint moves to that time's boundary
    expect(store.rows.get('ev\u0000left')).toMatchObject({ count: 9n, checkpointUs: msToUs(NOW + BACKGROUND_COALESCE_MS - 6000) });
    expect(await rollup.pending({ all: true })).toEqual([]);
    expect(log.info).toHaveBeenCalledWith({ counters: 1 }, expect.any(String));
  });

  it('the periodic sweep checkpoints a counter nobody touches again once its window settles', async () => {
    const { rollup, store } = await setup();
    rollup.start();
    await store.append([add('quiet', 2n)]);
    rollup.trigger.notify(ref('quiet'));
    await jest.advanceTimersByTimeAsync(100);
    expect(await rollup.pending({ all: true })).toEqual([ref('quiet')]); // tail only, checkpoint not moved
    await jest.advanceTimersByTimeAsync(8000);
    expect(await rollup.pending({ all: true })).toEqual([]);
    expect(store.rows.get('ev\u0000quiet')!.count).toBe(2n);
  });

  it('stop() finishes the queued roll-ups and then takes no more offers', async () => {
    const { rollup, store, converged } = await setup();
    rollup.start();
    await store.append([add('a', 1n), add('b', 2n)]);
    rollup.trigger.notify(ref('a'));
    rollup.trigger.notify(ref('b'));
    await flushMicrotasks();
    await rollup.stop();
    expect(converged.value(ref('a'))).toBe(1n);
    expect(converged.value(ref('b'))).toBe(2n);
    await store.append([add('c', 3n)]);
    rollup.trigger.notify(ref('c'));
    await jest.advanceTimersByTimeAsync(5000);
    expect(converged.value(ref('c'))).toBeUndefined();
  });

  it('rollUnread false: writes offer only counters whose converged value is held; roll-ups refresh, never add', async () => {
    const converged = new MemoryConvergedCache(100);
    const { rollup, store, metrics } = await setup({ converged, rollUnread: false }, true);
    rollup.start();
    await converged.setMany({ entries: [{ ref: ref('read'), value: 0n }], asOfMs: NOW - 1 });
    const events = [add('read', 2n), add('unread', 3n)];
    await store.append(events);
    rollup.trigger.notifyMany(events, events.map(counterKey));
    expect(metrics.rollupOffers.total({ outcome: 'unfollowed' })).toBe(1);
    await jest.advanceTimersByTimeAsync(options.coalesceMs);
    expect(await converged.get([ref('read'), ref('unread')])).toEqual([2n, undefined]);
    // A roll-up of the unread one (a sweep, a read's offer) adds nothing to the cache.
    await rollup.run([ref('unread')]);
    expect(converged.holds(counterKey(ref('unread')))).toBe(false);
  });

  it('rollUnread false without a cache that answers holds: every write is offered', async () => {
    const { rollup, metrics } = await setup({ rollUnread: false });
    const events = [add('a', 1n)];
    rollup.trigger.notifyMany(events, events.map(counterKey));
    expect(metrics.rollupOffers.total({ outcome: 'unfollowed' })).toBe(0);
    expect(metrics.rollupOffers.total({ outcome: 'queued' })).toBe(1);
  });

  it("takes the store's exclusiveWriter for read freshness", async () => {
    const exclusive = await setup({}, true);
    const shared = await setup({}, false);
    for (const x of [exclusive, shared]) {
      x.rollup.start();
      x.rollup.trigger.notify(ref('a'));
    }
    await jest.advanceTimersByTimeAsync(options.coalesceMs + options.readRefreshMs);
    for (const x of [exclusive, shared]) x.rollup.trigger.notifyRead(ref('a'));
    expect(exclusive.metrics.rollupOffers.total({ outcome: 'fresh' })).toBe(1);
    expect(shared.metrics.rollupOffers.total({ outcome: 'fresh' })).toBe(0);
  });

  it('purges expired events every purgeIntervalMs until stopped', async () => {
    const { rollup, store } = await setup();
    const purge = jest.spyOn(store, 'purge');
    rollup.start();
    await jest.advanceTimersByTimeAsync(options.purgeIntervalMs);
    expect(purge).toHaveBeenCalledTimes(1);
    expect(purge.mock.calls[0]![0]).toEqual({ namespace: ev, beforeUs: msToUs(NOW + options.purgeIntervalMs - 3600_000) });
    await rollup.stop();
    await jest.advanceTimersByTimeAsync(options.purgeIntervalMs * 3);
    expect(purge).toHaveBeenCalledTimes(1);
  });

  it('logs through child loggers of the roll-up and the purge', async () => {
    const { log } = await setup();
    expect(log.child.mock.calls).toEqual([[{ part: 'rollup' }], [{ part: 'purge' }]]);
  });

  it('a failed batch is counted and its counter converges through the sweep later', async () => {
    const { rollup, store, converged, metrics } = await setup();
    await store.append([add('a', 4n)]);
    rollup.start();
    await jest.advanceTimersByTimeAsync(10); // the start-up sweep queued it
    store.failRead = new Error('store down');
    await jest.advanceTimersByTimeAsync(BACKGROUND_COALESCE_MS);
    expect(metrics.rollupErrors.total()).toBe(1);
    expect(converged.value(ref('a'))).toBeUndefined();
    store.failRead = null;
    await jest.advanceTimersByTimeAsync(8000);
    expect(converged.value(ref('a'))).toBe(4n);
  });
});
