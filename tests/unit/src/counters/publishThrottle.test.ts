import { PublishThrottle } from '../../../../src/counters/publishThrottle';
import type { CounterUpdate } from '../../../../src/pubsub/types';

const u = (name: string, count: bigint, namespace = 'ns'): CounterUpdate => ({ namespace, name, count, asOfMs: Number(count) });

describe('PublishThrottle', () => {
  let published: CounterUpdate[];
  const make = (ms: number) => new PublishThrottle(ms, (x) => published.push(x));

  beforeEach(() => {
    jest.useFakeTimers();
    published = [];
  });
  afterEach(() => jest.useRealTimers());

  it('publishes the first update at once', () => {
    make(50).offer(u('a', 1n));
    expect(published).toEqual([u('a', 1n)]);
  });

  it('coalesces updates within the interval into one publish of the latest, at its end', () => {
    const t = make(50);
    t.offer(u('a', 1n));
    jest.advanceTimersByTime(10);
    t.offer(u('a', 2n));
    t.offer(u('a', 3n));
    jest.advanceTimersByTime(39);
    expect(published.map((x) => x.count)).toEqual([1n]);
    jest.advanceTimersByTime(1);
    expect(published.map((x) => x.count)).toEqual([1n, 3n]);
  });

  it('publishes nothing at the end of an interval without new updates', () => {
    const t = make(50);
    t.offer(u('a', 1n));
    jest.advanceTimersByTime(500);
    expect(published).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('after a quiet interval, the next update goes out at once again', () => {
    const t = make(50);
    t.offer(u('a', 1n));
    jest.advanceTimersByTime(50);
    t.offer(u('a', 2n));
    expect(published.map((x) => x.count)).toEqual([1n, 2n]);
  });

  it('a coalesced publish starts a new interval: updates right after it wait for its end', () => {
    const t = make(50);
    t.offer(u('a', 1n));
    t.offer(u('a', 2n));
    jest.advanceTimersByTime(50);
    t.offer(u('a', 3n));
    expect(published.map((x) => x.count)).toEqual([1n, 2n]);
    jest.advanceTimersByTime(50);
    expect(published.map((x) => x.count)).toEqual([1n, 2n, 3n]);
  });

  it('publishes at most once per interval under a steady stream, and always ends on the latest', () => {
    const t = make(50);
    for (let i = 1; i <= 1000; i++) {
      t.offer(u('a', BigInt(i)));
      jest.advanceTimersByTime(1);
    }
    jest.advanceTimersByTime(100);
    // 1000 ms of writes: the first at once, then one per 50 ms.
    expect(published.length).toBeLessThanOrEqual(1 + 1000 / 50);
    expect(published.length).toBeGreaterThanOrEqual(1000 / 50);
    expect(published.at(-1)!.count).toBe(1000n);
    const counts = published.map((x) => x.count);
    expect([...counts].sort((a, b) => (a < b ? -1 : 1))).toEqual(counts);
  });

  it('paces each counter on its own (same name in another namespace included)', () => {
    const t = make(50);
    t.offer(u('a', 1n));
    t.offer(u('b', 1n));
    t.offer(u('a', 1n, 'other'));
    t.offer(u('a', 2n));
    expect(published).toEqual([u('a', 1n), u('b', 1n), u('a', 1n, 'other')]);
    jest.advanceTimersByTime(50);
    expect(published.at(-1)).toEqual(u('a', 2n));
    expect(published).toHaveLength(4);
  });

  it('flush publishes everything waiting at once and stops the timers', () => {
    const t = make(50);
    t.offer(u('a', 1n));
    t.offer(u('a', 2n));
    t.offer(u('b', 1n));
    t.offer(u('b', 5n));
    t.flush();
    expect(published).toEqual([u('a', 1n), u('b', 1n), u('a', 2n), u('b', 5n)]);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(1000);
    expect(published).toHaveLength(4);
  });

  it('flush with nothing waiting publishes nothing; the next update after it goes out at once', () => {
    const t = make(50);
    t.offer(u('a', 1n));
    t.flush();
    expect(published).toHaveLength(1);
    t.offer(u('a', 2n));
    expect(published.map((x) => x.count)).toEqual([1n, 2n]);
  });

  it('interval 0 publishes every update at once and arms no timer', () => {
    const t = make(0);
    for (const c of [1n, 2n, 3n]) t.offer(u('a', c));
    expect(published.map((x) => x.count)).toEqual([1n, 2n, 3n]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('does not keep the process alive for its timers', () => {
    jest.useRealTimers();
    const spy = jest.spyOn(global, 'setTimeout');
    const t = make(60_000);
    t.offer(u('a', 1n));
    const timer = spy.mock.results[0]!.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    t.flush();
    spy.mockRestore();
  });
});
