import { EXPIRED, untilExpiry } from '../../../../src/auth/expiry';
import { LatestValueIterator } from '../../../../src/counters/latestValue';

/** A source that records whether it was released. */
function source() {
  const released = { count: 0 };
  const it = new LatestValueIterator<number>(() => released.count++);
  return { it, released };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('untilExpiry', () => {
  it('passes the source through unchanged without an expiry', () => {
    const { it } = source();
    expect(untilExpiry(it, undefined)).toBe(it);
  });

  it('passes values until the expiry, then releases the source, yields EXPIRED once, and ends', async () => {
    const { it, released } = source();
    const wrapped = untilExpiry(it, Date.now() + 80);
    it.push(1);
    expect(await wrapped.next()).toEqual({ value: 1, done: false });
    const waiting = wrapped.next(); // nothing pushed: the expiry ends this wait
    expect(await waiting).toEqual({ value: EXPIRED, done: false });
    expect(released.count).toBe(1);
    expect(await wrapped.next()).toEqual({ value: undefined, done: true });
    it.push(2);
    expect(await wrapped.next()).toEqual({ value: undefined, done: true });
    expect(released.count).toBe(1);
  });

  it('sends no value that was waiting when the credentials ran out', async () => {
    const { it, released } = source();
    const wrapped = untilExpiry(it, Date.now() + 30);
    await sleep(60);
    it.push(7); // the source is not released until the next pull: this value is ready
    expect(await wrapped.next()).toEqual({ value: EXPIRED, done: false });
    expect(released.count).toBe(1);
  });

  it('already expired: EXPIRED at once', async () => {
    const { it, released } = source();
    it.push(1);
    const wrapped = untilExpiry(it, Date.now() - 1);
    expect(await wrapped.next()).toEqual({ value: EXPIRED, done: false });
    expect(released.count).toBe(1);
  });

  it('return() before the expiry releases the source once and stops the timer', async () => {
    const { it, released } = source();
    const wrapped = untilExpiry(it, Date.now() + 50);
    const waiting = wrapped.next();
    await wrapped.return!();
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(released.count).toBe(1);
    await sleep(80);
    expect(await wrapped.next()).toEqual({ value: undefined, done: true });
    expect(released.count).toBe(1);
  });

  it('a source that ends by itself ends the stream, and the expiry no longer fires', async () => {
    const { it, released } = source();
    const wrapped = untilExpiry(it, Date.now() + 50);
    it.close();
    expect(await wrapped.next()).toEqual({ value: undefined, done: true });
    await sleep(80);
    expect(await wrapped.next()).toEqual({ value: undefined, done: true });
    expect(released.count).toBe(1);
  });

  it('reaches an expiry beyond the longest timer in steps (no immediate overflow firing)', async () => {
    jest.useFakeTimers();
    try {
      let t = 0;
      const { it, released } = source();
      const wrapped = untilExpiry(it, 3_000_000_000, () => t);
      const next = wrapped.next();
      let settled = false;
      void next.then(() => (settled = true));
      t = 2_147_483_647;
      jest.advanceTimersByTime(2_147_483_647);
      await Promise.resolve();
      expect(settled).toBe(false);
      expect(released.count).toBe(0);
      t = 3_000_000_000;
      jest.advanceTimersByTime(3_000_000_000 - 2_147_483_647);
      expect(await next).toEqual({ value: EXPIRED, done: false });
      expect(released.count).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });
});
