import { LatestValueIterator } from '../../../../src/counters/latestValue';

/** True when the promise has settled after the pending microtasks ran. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('LatestValueIterator', () => {
  it('hands a value pushed before next() to the next call', async () => {
    const it = new LatestValueIterator<number>(() => {});
    it.push(1);
    expect(await it.next()).toEqual({ value: 1, done: false });
  });

  it('conflates: of values pushed while nobody reads, only the latest is kept', async () => {
    const it = new LatestValueIterator<number>(() => {});
    for (const v of [1, 2, 3]) it.push(v);
    expect(await it.next()).toEqual({ value: 3, done: false });
    expect(await settled(it.next())).toBe(false);
  });

  it('keeps a falsy value (0, undefined-like values are still values)', async () => {
    const it = new LatestValueIterator<number | null>(() => {});
    it.push(0);
    expect(await it.next()).toEqual({ value: 0, done: false });
    it.push(null);
    expect(await it.next()).toEqual({ value: null, done: false });
  });

  it('a waiting next() gets the next pushed value at once, and it is not kept for a later call', async () => {
    const it = new LatestValueIterator<string>(() => {});
    const p = it.next();
    expect(await settled(p)).toBe(false);
    it.push('a');
    expect(await p).toEqual({ value: 'a', done: false });
    expect(await settled(it.next())).toBe(false);
  });

  it('after a waiter took one value, the following pushes conflate again', async () => {
    const it = new LatestValueIterator<number>(() => {});
    const p = it.next();
    it.push(1);
    it.push(2);
    it.push(3);
    expect(await p).toEqual({ value: 1, done: false });
    expect(await it.next()).toEqual({ value: 3, done: false });
  });

  it('close ends a waiting next() with done and calls onClose once', async () => {
    const onClose = jest.fn();
    const it = new LatestValueIterator<number>(onClose);
    const p = it.next();
    it.close();
    it.close();
    expect(await p).toEqual({ value: undefined, done: true });
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('close drops an unsent value, and pushes after close are ignored', async () => {
    const it = new LatestValueIterator<number>(() => {});
    it.push(1);
    it.close();
    it.push(2);
    expect(await it.next()).toEqual({ value: undefined, done: true });
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('return() closes (onClose once, even when called twice) and answers done', async () => {
    const onClose = jest.fn();
    const it = new LatestValueIterator<number>(onClose);
    it.push(1);
    expect(await it.return()).toEqual({ value: undefined, done: true });
    expect(await it.return()).toEqual({ value: undefined, done: true });
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('throw() closes and rejects with the given error', async () => {
    const onClose = jest.fn();
    const it = new LatestValueIterator<number>(onClose);
    const boom = new Error('boom');
    await expect(it.throw(boom)).rejects.toBe(boom);
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('is its own async iterator: for await reads values until it is closed', async () => {
    const it = new LatestValueIterator<number>(() => {});
    expect(it[Symbol.asyncIterator]()).toBe(it);
    const seen: number[] = [];
    const loop = (async () => {
      for await (const v of it) {
        seen.push(v);
        if (v === 2) it.close();
      }
    })();
    it.push(1);
    await new Promise((r) => setImmediate(r));
    it.push(2);
    await loop;
    expect(seen).toEqual([1, 2]);
  });

  it('breaking out of for await closes it (the subscription is released)', async () => {
    const onClose = jest.fn();
    const it = new LatestValueIterator<number>(onClose);
    it.push(7);
    for await (const v of it) {
      expect(v).toBe(7);
      break;
    }
    expect(onClose).toHaveBeenCalledTimes(1);
  });
});
