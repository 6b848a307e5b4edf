import { Watcher } from '../../../../src/counters/watch';
import type { CounterModel } from '../../../../src/model';
import { asMetrics, fakeMetrics, FakePubSub, nsConfig } from '../../fakes';

const ns = nsConfig('ev', 'EVENTUAL');
const model = (count: bigint): CounterModel => ({ namespace: 'ev', name: 'a', mode: 'EVENTUAL', count });
const update = (count: bigint, asOfMs: number) => ({ namespace: 'ev', name: 'a', count, asOfMs });

/** A read that resolves only when told (so updates can arrive before it). */
function deferredRead() {
  let resolve: (v: bigint[]) => void = () => {};
  let reject: (e: unknown) => void = () => {};
  const read = jest.fn((_names: string[]) => new Promise<bigint[]>((res, rej) => ((resolve = res), (reject = rej))));
  return { read, resolve: (v: bigint) => resolve([v]), reject: (e: unknown) => reject(e) };
}

/** A consumer that takes every value as soon as it is pushed; `values` grows as they come. */
function consume(it: AsyncIterableIterator<CounterModel>): { values: bigint[] } {
  const seen = { values: [] as bigint[] };
  void (async () => {
    for await (const v of it) seen.values.push(v.count!);
  })();
  return seen;
}

const tick = () => new Promise((r) => setImmediate(r));

function setup() {
  const pubsub = new FakePubSub();
  const metrics = fakeMetrics();
  // The roll-up's watched lane: counter key -> watch calls not yet ended.
  const watched = new Map<string, number>();
  const rollup = {
    watch: (ref: { namespace: string; name: string }) => {
      const key = `${ref.namespace}/${ref.name}`;
      watched.set(key, (watched.get(key) ?? 0) + 1);
      return () => watched.set(key, watched.get(key)! - 1);
    },
  };
  return { watcher: new Watcher(pubsub, asMetrics(metrics), rollup), pubsub, metrics, watched };
}

describe('Watcher.watch', () => {
  it("first yields the counter's current value, read by name", async () => {
    const { watcher } = setup();
    const read = jest.fn(async () => [5n]);
    const it = await watcher.watch(ns, 'a', read);
    expect(read).toHaveBeenCalledWith(['a']);
    expect(await it.next()).toEqual({ value: model(5n), done: false });
    await it.return!();
  });

  it('listens to the counter before reading it', async () => {
    const { watcher, pubsub } = setup();
    const read = jest.fn(async () => {
      expect(pubsub.listeners.has('ev\u0000a')).toBe(true);
      return [0n];
    });
    const it = await watcher.watch(ns, 'a', read);
    expect(read).toHaveBeenCalled();
    await it.return!();
  });

  it('then yields each newer converged value', async () => {
    const { watcher, pubsub } = setup();
    const it = await watcher.watch(ns, 'a', async () => [1n]);
    expect((await it.next()).value).toEqual(model(1n));
    pubsub.emit(update(2n, 10));
    expect((await it.next()).value).toEqual(model(2n));
    const pending = it.next();
    pubsub.emit(update(3n, 20));
    expect((await pending).value).toEqual(model(3n));
    await it.return!();
  });

  it('lets an update that arrives before the read win over the (older) read', async () => {
    const { watcher, pubsub } = setup();
    const d = deferredRead();
    const watching = watcher.watch(ns, 'a', d.read);
    pubsub.emit(update(9n, 100));
    d.resolve(4n);
    const it = await watching;
    const seen = consume(it);
    await tick();
    expect(seen.values).toEqual([9n]);
    await it.return!();
  });

  it('does not send an equal value twice in a row', async () => {
    const { watcher, pubsub } = setup();
    const it = await watcher.watch(ns, 'a', async () => [3n]);
    const seen = consume(it);
    await tick();
    pubsub.emit(update(3n, 10));
    await tick();
    pubsub.emit(update(4n, 11));
    await tick();
    pubsub.emit(update(4n, 12));
    await tick();
    pubsub.emit(update(3n, 13));
    await tick();
    expect(seen.values).toEqual([3n, 4n, 3n]);
    await it.return!();
  });

  it('drops an update read before the last one sent, keeps one of the same asOf', async () => {
    const { watcher, pubsub } = setup();
    const it = await watcher.watch(ns, 'a', async () => [0n]);
    const seen = consume(it);
    for (const [c, t] of [[5n, 100], [4n, 99], [6n, 100], [7n, 50]] as const) {
      pubsub.emit(update(c, t));
      await tick();
    }
    expect(seen.values).toEqual([0n, 5n, 6n]);
    await it.return!();
  });

  it('conflates to the latest value for a slow consumer', async () => {
    const { watcher, pubsub } = setup();
    const it = await watcher.watch(ns, 'a', async () => [0n]);
    // nobody has taken the first value yet: each update replaces the one waiting
    for (const [c, t] of [[1n, 1], [2n, 2], [3n, 3]] as const) pubsub.emit(update(c, t));
    expect(await it.next()).toEqual({ value: model(3n), done: false });
    const seen = consume(it);
    await tick();
    expect(seen.values).toEqual([]);
    await it.return!();
  });

  it('counts the subscription in the gauge once and releases it and the listener exactly once', async () => {
    const { watcher, pubsub, metrics } = setup();
    const it = await watcher.watch(ns, 'a', async () => [0n]);
    expect(metrics.subscriptions.value).toBe(1);
    expect(pubsub.activeCounters()).toBe(1);
    await it.return!();
    await it.return!();
    await it.throw!(new Error('late')).catch(() => undefined);
    expect([metrics.subscriptions.incs, metrics.subscriptions.decs]).toEqual([1, 1]);
    expect(pubsub.unsubscribes).toBe(1);
    expect(pubsub.activeCounters()).toBe(0);
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it("puts the counter in the roll-up's watched lane once per feed, and takes it out with the last subscriber", async () => {
    const { watcher, watched } = setup();
    const key = `${ns.name}/a`;
    const first = await watcher.watch(ns, 'a', async () => [0n]);
    const second = await watcher.watch(ns, 'a', async () => [0n]);
    expect(watched.get(key)).toBe(1);
    await first.return!();
    expect(watched.get(key)).toBe(1);
    await second.return!();
    await second.return!();
    expect(watched.get(key)).toBe(0);
    // A new first subscriber watches it again.
    const third = await watcher.watch(ns, 'a', async () => [0n]);
    expect(watched.get(key)).toBe(1);
    await third.return!();
    expect(watched.get(key)).toBe(0);
  });

  it('ends a waiting consumer when the stream is closed', async () => {
    const { watcher, metrics } = setup();
    const it = await watcher.watch(ns, 'a', async () => [0n]);
    await it.next();
    const waiting = it.next();
    await it.return!();
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(metrics.subscriptions.value).toBe(0);
  });

  it('when the first read fails: closes, releases everything once and rethrows', async () => {
    const { watcher, pubsub, metrics } = setup();
    const d = deferredRead();
    const watching = watcher.watch(ns, 'a', d.read);
    expect(metrics.subscriptions.value).toBe(1);
    const err = new Error('store down');
    d.reject(err);
    await expect(watching).rejects.toBe(err);
    expect([metrics.subscriptions.incs, metrics.subscriptions.decs]).toEqual([1, 1]);
    expect(pubsub.unsubscribes).toBe(1);
    expect(pubsub.activeCounters()).toBe(0);
  });

  it('keeps subscriptions of different counters apart', async () => {
    const { watcher, pubsub, metrics } = setup();
    const a = await watcher.watch(ns, 'a', async () => [1n]);
    const b = await watcher.watch(ns, 'b', async () => [2n]);
    expect(metrics.subscriptions.value).toBe(2);
    const [sa, sb] = [consume(a), consume(b)];
    await tick();
    pubsub.emit({ namespace: 'ev', name: 'b', count: 7n, asOfMs: 1 });
    await tick();
    expect(sa.values).toEqual([1n]);
    expect(sb.values).toEqual([2n, 7n]);
    await a.return!();
    expect(pubsub.activeCounters()).toBe(1);
    await b.return!();
  });
});
