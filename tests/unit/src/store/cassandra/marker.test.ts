import { MarkCommitter } from '../../../../../src/store/cassandra/marker';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}
const deferred = (): Deferred => {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};
const tick = () => new Promise((r) => setImmediate(r));

/** A write function whose calls are recorded and finished by the test. */
function controlledWrite() {
  const calls: { v: number; d: Deferred }[] = [];
  const write = jest.fn((v: number) => {
    const d = deferred();
    calls.push({ v, d });
    return d.promise;
  });
  return { calls, write };
}

async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await tick();
  return done;
}

describe('MarkCommitter', () => {
  it('writes the first mark of a counter and resolves once it is durable', async () => {
    const m = new MarkCommitter('max');
    const { calls, write } = controlledWrite();
    const p = m.ensure('k', 10, write);
    expect(write).toHaveBeenCalledWith(10);
    expect(await settled(p)).toBe(false);
    calls[0]!.d.resolve();
    await p;
  });

  it.each([
    ['max', 10, [10, 9, 0]],
    ['min', 10, [10, 11, 1000]],
  ] as const)('(%s) skips the write for a mark no better than one already written', async (direction, first, others) => {
    const m = new MarkCommitter(direction);
    const write = jest.fn(async () => {});
    await m.ensure('k', first, write);
    for (const v of others) await m.ensure('k', v, write);
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('(max) writes again for a larger mark', async () => {
    const m = new MarkCommitter('max');
    const write = jest.fn(async () => {});
    await m.ensure('k', 10, write);
    await m.ensure('k', 11, write);
    expect(write.mock.calls).toEqual([[10], [11]]);
  });

  it('(max) requests made while a write is in flight are covered by one write of the largest', async () => {
    const m = new MarkCommitter('max');
    const { calls, write } = controlledWrite();
    const first = m.ensure('k', 5, write);
    const later = [m.ensure('k', 8, write), m.ensure('k', 6, write), m.ensure('k', 7, write)];
    expect(calls.map((c) => c.v)).toEqual([5]);
    calls[0]!.d.resolve();
    await first;
    await tick();
    expect(calls.map((c) => c.v)).toEqual([5, 8]);
    expect(await settled(Promise.all(later))).toBe(false);
    calls[1]!.d.resolve();
    await Promise.all(later);
    expect(write).toHaveBeenCalledTimes(2);
  });

  it('(min) covers concurrent requests with one write of the smallest', async () => {
    const m = new MarkCommitter('min');
    const { calls, write } = controlledWrite();
    const first = m.ensure('k', 50, write);
    const later = [m.ensure('k', 40, write), m.ensure('k', 20, write), m.ensure('k', 30, write)];
    calls[0]!.d.resolve();
    await first;
    await tick();
    expect(calls.map((c) => c.v)).toEqual([50, 20]);
    calls[1]!.d.resolve();
    await Promise.all(later);
  });

  it('a request for a mark the in-flight write does not cover waits for a later write', async () => {
    const m = new MarkCommitter('max');
    const { calls, write } = controlledWrite();
    void m.ensure('k', 5, write);
    const nine = m.ensure('k', 9, write);
    calls[0]!.d.resolve();
    expect(await settled(nine)).toBe(false);
    calls[1]!.d.resolve();
    await nine;
    expect(calls.map((c) => c.v)).toEqual([5, 9]);
  });

  it('a request arriving during a write never resolves before a durable write covers it', async () => {
    const m = new MarkCommitter('max');
    const { calls, write } = controlledWrite();
    void m.ensure('k', 5, write);
    const three = m.ensure('k', 3, write);
    expect(await settled(three)).toBe(false);
    calls[0]!.d.resolve();
    await tick();
    // Covered by the durable 5 (or by a write of its own): either way only after 5 landed.
    for (const c of calls.slice(1)) c.d.resolve();
    await three;
  });

  it('a failed write rejects its round only; the mark is not taken as written', async () => {
    const m = new MarkCommitter('max');
    const { calls, write } = controlledWrite();
    const five = m.ensure('k', 5, write);
    const nine = m.ensure('k', 9, write);
    const boom = new Error('write timeout');
    calls[0]!.d.reject(boom);
    await expect(five).rejects.toBe(boom);
    await tick();
    calls[1]!.d.resolve();
    await nine;
    // 5 failed but 9 landed: 5 is covered now.
    await m.ensure('k', 5, write);
    expect(calls.map((c) => c.v)).toEqual([5, 9]);
  });

  it('after a failure, asking for the same mark again writes it again', async () => {
    const m = new MarkCommitter('max');
    let fail = true;
    const write = jest.fn(async () => {
      if (fail) throw new Error('unavailable');
    });
    await expect(m.ensure('k', 5, write)).rejects.toThrow('unavailable');
    fail = false;
    await m.ensure('k', 5, write);
    expect(write).toHaveBeenCalledTimes(2);
  });

  it('keeps counters apart: marks of different keys are written independently and concurrently', async () => {
    const m = new MarkCommitter('max');
    const { calls, write } = controlledWrite();
    const a = m.ensure('a', 5, write);
    const b = m.ensure('b', 3, write);
    expect(calls.map((c) => c.v)).toEqual([5, 3]);
    calls[1]!.d.resolve();
    await b;
    expect(await settled(a)).toBe(false);
    calls[0]!.d.resolve();
    await a;
    const write2 = jest.fn(async () => {});
    await m.ensure('b', 4, write2);
    expect(write2).toHaveBeenCalledWith(4);
  });

  it('forgets the least recently used counters past its size: a forgotten mark costs a write, never a skipped one', async () => {
    const m = new MarkCommitter('max', 2);
    const write = jest.fn(async () => {});
    await m.ensure('a', 5, write);
    await m.ensure('b', 5, write);
    await m.ensure('c', 5, write);
    expect(write).toHaveBeenCalledTimes(3);
    await m.ensure('c', 5, write);
    expect(write).toHaveBeenCalledTimes(3);
    await m.ensure('a', 5, write);
    expect(write).toHaveBeenCalledTimes(4);
  });
});
