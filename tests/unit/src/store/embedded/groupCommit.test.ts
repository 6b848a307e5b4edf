import { GroupCommitter } from '../../../../../src/store/embedded/groupCommit';

describe('GroupCommitter', () => {
  it('commits everything submitted in one tick as one group and gives each submitter its own results in order', async () => {
    const groups: number[][] = [];
    const gc = new GroupCommitter<number, string>((items) => {
      groups.push([...items]);
      return items.map((i) => `r${i}`);
    });
    const [a, b, c] = await Promise.all([gc.submit([1, 2]), gc.submit([3]), gc.submit([4, 5, 6])]);
    expect(groups).toEqual([[1, 2, 3, 4, 5, 6]]);
    expect(a).toEqual(['r1', 'r2']);
    expect(b).toEqual(['r3']);
    expect(c).toEqual(['r4', 'r5', 'r6']);
  });

  it('a submission made after a flush goes into a later group', async () => {
    const groups: number[][] = [];
    const gc = new GroupCommitter<number, number>((items) => {
      groups.push([...items]);
      return items.map((i) => i * 10);
    });
    const first = await gc.submit([1]);
    const second = await gc.submit([2]);
    expect(first).toEqual([10]);
    expect(second).toEqual([20]);
    expect(groups).toEqual([[1], [2]]);
  });

  it('splits at maxGroup on whole submissions and keeps every submitter\'s slice right', async () => {
    const groups: number[][] = [];
    const gc = new GroupCommitter<number, number>((items) => {
      groups.push([...items]);
      return items.map((i) => -i);
    }, 3);
    const ps = [gc.submit([1, 2]), gc.submit([3, 4]), gc.submit([5]), gc.submit([6, 7, 8, 9]), gc.submit([10])];
    const rs = await Promise.all(ps);
    expect(rs).toEqual([[-1, -2], [-3, -4], [-5], [-6, -7, -8, -9], [-10]]);
    expect(groups).toEqual([[1, 2], [3, 4, 5], [6, 7, 8, 9], [10]]);
  });

  it('rejects every submission of a failing group, and only those', async () => {
    let call = 0;
    const gc = new GroupCommitter<number, number>((items) => {
      call++;
      if (items.includes(13)) throw new Error('disk on fire');
      return items;
    }, 2);
    const results = await Promise.allSettled([gc.submit([1]), gc.submit([13]), gc.submit([2, 3]), gc.submit([4])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason).toEqual(new Error('disk on fire'));
    expect((results[2] as PromiseFulfilledResult<number[]>).value).toEqual([2, 3]);
    expect((results[3] as PromiseFulfilledResult<number[]>).value).toEqual([4]);
    expect(call).toBe(3);
    // The committer keeps working after a failure.
    expect(await gc.submit([5])).toEqual([5]);
  });

  it('an empty submission resolves with no results', async () => {
    const gc = new GroupCommitter<number, number>((items) => items);
    expect(await Promise.all([gc.submit([]), gc.submit([1])])).toEqual([[], [1]]);
  });

  it('drain waits for everything submitted so far', async () => {
    const done: number[] = [];
    const gc = new GroupCommitter<number, number>((items) => {
      done.push(...items);
      return items;
    });
    void gc.submit([1]);
    void gc.submit([2]);
    await gc.drain();
    expect(done).toEqual([1, 2]);
    await gc.drain(); // idle: resolves at once
  });
});

describe('GroupCommitter timing and edges', () => {
  it('commits nothing synchronously: the group is written on the next turn of the event loop', async () => {
    const commit = jest.fn((items: number[]) => items);
    const gc = new GroupCommitter<number, number>(commit);
    const p = gc.submit([1]);
    expect(commit).not.toHaveBeenCalled();
    await Promise.resolve();
    expect(commit).not.toHaveBeenCalled();
    await p;
    expect(commit).toHaveBeenCalledTimes(1);
  });

  it('a first submission larger than maxGroup goes alone, the next ones after it', async () => {
    const groups: number[][] = [];
    const gc = new GroupCommitter<number, number>((items) => {
      groups.push([...items]);
      return items;
    }, 2);
    const rs = await Promise.all([gc.submit([1, 2, 3, 4]), gc.submit([5]), gc.submit([6])]);
    expect(groups).toEqual([[1, 2, 3, 4], [5, 6]]);
    expect(rs).toEqual([[1, 2, 3, 4], [5], [6]]);
  });

  it('commits groups in submission order', async () => {
    const order: number[] = [];
    const gc = new GroupCommitter<number, number>((items) => {
      order.push(...items);
      return items;
    }, 1);
    await Promise.all([5, 4, 3, 2, 1].map((i) => gc.submit([i])));
    expect(order).toEqual([5, 4, 3, 2, 1]);
  });

  it('rejects with whatever the commit threw, Error or not', async () => {
    const gc = new GroupCommitter<number, number>(() => {
      throw 'SQLITE_BUSY';
    });
    await expect(gc.submit([1])).rejects.toBe('SQLITE_BUSY');
  });

  it('drain resolves only after the pending group was committed', async () => {
    const done: number[] = [];
    const gc = new GroupCommitter<number, number>((items) => {
      done.push(...items);
      return items;
    });
    void gc.submit([1]);
    const drained = gc.drain().then(() => [...done]);
    expect(done).toEqual([]);
    expect(await drained).toEqual([1]);
  });

  it('drain resolves even when the group failed', async () => {
    const gc = new GroupCommitter<number, number>(() => {
      throw new Error('full');
    });
    const p = gc.submit([1]).catch(() => 'rejected');
    await gc.drain();
    expect(await p).toBe('rejected');
  });

  it('a submission made while the group commits (from the commit itself) is committed in the same flush', async () => {
    const groups: number[][] = [];
    let inner: Promise<number[]> | undefined;
    const gc = new GroupCommitter<number, number>((items) => {
      groups.push([...items]);
      if (!inner) inner = gc.submit([99]);
      return items.map((i) => i + 1);
    });
    expect(await gc.submit([1, 2])).toEqual([2, 3]);
    expect(await inner).toEqual([100]);
    expect(groups).toEqual([[1, 2], [99]]);
  });
});
