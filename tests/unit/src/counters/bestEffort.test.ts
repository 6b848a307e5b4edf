import { BestEffortCounters } from '../../../../src/counters/bestEffort';
import type { BestEffortAdd, BestEffortAddResult, BestEffortClear, BestEffortClearResult } from '../../../../src/cache/types';
import { CounterError } from '../../../../src/errors';
import type { CounterEvent } from '../../../../src/model';
import { asMetrics, fakeMetrics, FakePubSub, nsConfig } from '../../fakes';

const NOW = 1_700_000_000_000;
const SKEW = 1000;
const ns = nsConfig('be', 'BEST_EFFORT', { ttlSeconds: 60, acceptLimitMs: 5000 });
const ev = (over: Partial<CounterEvent> = {}): CounterEvent => ({
  namespace: 'be',
  name: 'a',
  timeUs: NOW * 1000,
  eventId: 'x',
  clear: false,
  delta: 2n,
  ...over,
});
const token = { token: 'tok', generationTime: new Date(NOW) };

function setup(throttleMs = 0) {
  const adds: BestEffortAdd[] = [];
  const clears: BestEffortClear[] = [];
  const next = { add: { count: 5n, outcome: 'applied' } as BestEffortAddResult, clear: { count: 0n, outcome: 'applied' } as BestEffortClearResult };
  const cache = {
    add: jest.fn(async (op: BestEffortAdd) => (adds.push(op), next.add)),
    clear: jest.fn(async (op: BestEffortClear) => (clears.push(op), next.clear)),
    get: jest.fn(async (refs: unknown[]) => refs.map(() => 9n)),
    clearNamespace: jest.fn(async () => 0),
    close: jest.fn(async () => {}),
  };
  const pubsub = new FakePubSub();
  const metrics = fakeMetrics();
  const be = new BestEffortCounters(cache, pubsub, asMetrics(metrics), { skewMarginMs: SKEW, publishThrottleMs: throttleMs });
  return { be, cache, adds, clears, next, pubsub, metrics };
}

beforeEach(() => jest.useFakeTimers({ now: NOW }));
afterEach(() => jest.useRealTimers());

describe('BestEffortCounters.add', () => {
  it("hands the cache the add with the namespace's TTL and no dedupe without a token", async () => {
    const { be, adds } = setup();
    await be.add(ns, ev(), null);
    expect(adds).toEqual([{ ref: ev(), delta: 2n, timeUs: NOW * 1000, ttlSeconds: 60, dedupe: null }]);
  });

  it('dedupes a token on (namespace, name, token, time) for 2 x acceptLimit + skew margin', async () => {
    const { be, adds } = setup();
    await be.add(ns, ev(), token);
    expect(adds[0]!.dedupe).toEqual({ key: `be\u0000a\u0000tok\u0000${NOW * 1000}`, ttlMs: 2 * 5000 + SKEW });
  });

  it('maps the outcomes: applied and superseded are applied, a duplicate is not', async () => {
    const { be, next } = setup();
    const results: [string, boolean | undefined][] = [];
    for (const outcome of ['applied', 'superseded', 'duplicate'] as const) {
      next.add = { count: 7n, outcome };
      results.push([outcome, (await be.add(ns, ev(), token)).applied]);
    }
    expect(results).toEqual([
      ['applied', true],
      ['superseded', true],
      ['duplicate', false],
    ]);
  });

  it("returns the cache's count on the counter", async () => {
    const { be, next } = setup();
    next.add = { count: -3n, outcome: 'superseded' };
    expect((await be.add(ns, ev(), null)).counter).toEqual({ namespace: 'be', name: 'a', mode: 'BEST_EFFORT', count: -3n });
  });

  it('counts writes by mode and outcome', async () => {
    const { be, next, metrics } = setup();
    await be.add(ns, ev(), null);
    next.add = { count: 5n, outcome: 'duplicate' };
    await be.add(ns, ev(), token);
    expect(metrics.writes.calls).toEqual([
      { labels: { mode: 'BEST_EFFORT', outcome: 'applied' }, n: 1 },
      { labels: { mode: 'BEST_EFFORT', outcome: 'duplicate' }, n: 1 },
    ]);
  });

  it('publishes only applied adds (a duplicate or superseded add changes nothing)', async () => {
    const { be, next, pubsub } = setup();
    await be.add(ns, ev(), null);
    next.add = { count: 5n, outcome: 'duplicate' };
    await be.add(ns, ev(), null);
    next.add = { count: 5n, outcome: 'superseded' };
    await be.add(ns, ev(), null);
    expect(pubsub.published).toEqual([{ namespace: 'be', name: 'a', count: 5n, asOfMs: NOW }]);
  });

  it('throttles publishes per counter: first at once, the latest at the end of the interval', async () => {
    const { be, next, pubsub } = setup(100);
    for (const count of [1n, 2n, 3n]) {
      next.add = { count, outcome: 'applied' };
      await be.add(ns, ev(), null);
    }
    next.add = { count: 10n, outcome: 'applied' };
    await be.add(ns, ev({ name: 'b' }), null);
    expect(pubsub.published.map((u) => [u.name, u.count])).toEqual([
      ['a', 1n],
      ['b', 10n],
    ]);
    jest.advanceTimersByTime(100);
    expect(pubsub.published.map((u) => [u.name, u.count])).toEqual([
      ['a', 1n],
      ['b', 10n],
      ['a', 3n],
    ]);
  });

  it('flush() publishes what the throttle still holds', async () => {
    const { be, next, pubsub } = setup(1000);
    await be.add(ns, ev(), null);
    next.add = { count: 6n, outcome: 'applied' };
    await be.add(ns, ev(), null);
    be.flush();
    expect(pubsub.published.map((u) => u.count)).toEqual([5n, 6n]);
  });

  it("lets the cache's refusal through", async () => {
    const { be, cache, pubsub, metrics } = setup();
    cache.add.mockRejectedValueOnce(new CounterError('COUNT_OVERFLOW', 'too big'));
    await expect(be.add(ns, ev(), null)).rejects.toMatchObject({ code: 'COUNT_OVERFLOW' });
    expect(pubsub.published).toEqual([]);
    expect(metrics.writes.calls).toEqual([]);
  });
});

describe('BestEffortCounters.clear', () => {
  const clearEv = (timeMs: number) => ev({ clear: true, delta: 0n, timeUs: timeMs * 1000 });

  it('clears as of the event time, the watermark kept until no add before it can be accepted', async () => {
    const { be, clears } = setup();
    await be.clear(ns, clearEv(NOW), null);
    // time + acceptLimit + skew margin + 1 ms, from now
    expect(clears).toEqual([{ ref: clearEv(NOW), clearUs: NOW * 1000, watermarkTtlMs: 5000 + SKEW + 1, dedupe: null }]);
  });

  it('keeps the watermark at least 1 ms, also for a clear generated long ago', async () => {
    const { be, clears } = setup();
    await be.clear(ns, clearEv(NOW - 60_000), null);
    expect(clears[0]!.watermarkTtlMs).toBe(1);
  });

  it('rounds a sub-millisecond clear time up', async () => {
    const { be, clears } = setup();
    await be.clear(ns, ev({ clear: true, delta: 0n, timeUs: NOW * 1000 - 999 }), null);
    expect(clears[0]!.watermarkTtlMs).toBe(5000 + SKEW + 1);
  });

  it('dedupes a token like an add', async () => {
    const { be, clears } = setup();
    await be.clear(ns, clearEv(NOW), token);
    expect(clears[0]!.dedupe).toEqual({ key: `be\u0000a\u0000tok\u0000${NOW * 1000}`, ttlMs: 2 * 5000 + SKEW });
  });

  it('is applied unless a duplicate, counts its outcome and publishes the count either way', async () => {
    const { be, next, pubsub, metrics } = setup();
    const first = await be.clear(ns, clearEv(NOW), token);
    next.clear = { count: 4n, outcome: 'duplicate' };
    const retry = await be.clear(ns, clearEv(NOW), token);
    expect([first.applied, retry.applied]).toEqual([true, false]);
    expect(first.counter.count).toBe(0n);
    expect(retry.counter.count).toBe(4n);
    expect(pubsub.published.map((u) => u.count)).toEqual([0n, 4n]);
    expect(metrics.writes.calls.map((c) => c.labels.outcome)).toEqual(['applied', 'duplicate']);
  });
});

describe('BestEffortCounters.get', () => {
  it('reads the cache', async () => {
    const { be, cache } = setup();
    const refs = [{ namespace: 'be', name: 'a' }, { namespace: 'be', name: 'b' }];
    expect(await be.get(refs)).toEqual([9n, 9n]);
    expect(cache.get).toHaveBeenCalledWith(refs);
  });
});
