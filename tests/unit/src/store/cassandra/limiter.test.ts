import { Limiter } from '../../../../../src/store/cassandra/limiter';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}
const deferred = <T>(): Deferred<T> => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};
const tick = () => new Promise((r) => setImmediate(r));

describe('Limiter', () => {
  it('runs up to max tasks at once and queues the rest', async () => {
    const lim = new Limiter(2);
    const gates = [deferred<number>(), deferred<number>(), deferred<number>()];
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      lim.run(() => {
        started.push(i);
        return g.promise;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect(lim.inFlight).toBe(2);
    gates[0]!.resolve(0);
    await tick();
    expect(started).toEqual([0, 1, 2]);
    expect(lim.inFlight).toBe(2);
    gates[1]!.resolve(1);
    gates[2]!.resolve(2);
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    expect(lim.inFlight).toBe(0);
  });

  it('starts queued tasks in the order they were queued', async () => {
    const lim = new Limiter(1);
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        lim.run(async () => {
          order.push(i);
          await tick();
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('with max 1 never overlaps two tasks', async () => {
    const lim = new Limiter(1);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        lim.run(async () => {
          peak = Math.max(peak, ++active);
          await tick();
          active--;
        }),
      ),
    );
    expect(peak).toBe(1);
  });

  it('passes a rejection through and frees the slot', async () => {
    const lim = new Limiter(1);
    const boom = new Error('timeout');
    await expect(lim.run(() => Promise.reject(boom))).rejects.toBe(boom);
    expect(lim.inFlight).toBe(0);
    expect(await lim.run(async () => 'next')).toBe('next');
  });

  it('frees the slot when the task throws synchronously, and hands it to a waiter', async () => {
    const lim = new Limiter(1);
    const g = deferred<void>();
    const first = lim.run(() => g.promise);
    const second = lim.run(() => {
      throw new Error('sync');
    });
    const third = lim.run(async () => 3);
    g.resolve();
    await first;
    await expect(second).rejects.toThrow('sync');
    expect(await third).toBe(3);
    expect(lim.inFlight).toBe(0);
  });

  it('is idle at first and counts only running tasks, not waiting ones', async () => {
    const lim = new Limiter(3);
    expect(lim.inFlight).toBe(0);
    const gates = Array.from({ length: 5 }, () => deferred<void>());
    const runs = gates.map((g) => lim.run(() => g.promise));
    await tick();
    expect(lim.inFlight).toBe(3);
    for (const g of gates) g.resolve();
    await Promise.all(runs);
    expect(lim.inFlight).toBe(0);
  });
});

describe('Limiter lanes', () => {
  it('starts queued tasks by lane (urgent, request, background), in order within one', async () => {
    const lim = new Limiter(1);
    const gate = deferred<void>();
    const order: string[] = [];
    const first = lim.run(() => gate.promise);
    const runs = [
      lim.run(async () => void order.push('bg1')),
      lim.run(async () => void order.push('bg2'), 'background'),
      lim.run(async () => void order.push('request'), 'request'),
      lim.run(async () => void order.push('urgent'), 'urgent'),
    ];
    await tick();
    expect(order).toEqual([]);
    gate.resolve();
    await Promise.all([first, ...runs]);
    expect(order).toEqual(['urgent', 'request', 'bg1', 'bg2']);
    expect(lim.inFlight).toBe(0);
  });
});

describe('Limiter weights', () => {
  it('counts a grouped query as the partitions it reads, capped at the bound', async () => {
    const lim = new Limiter(4);
    const gates = [deferred<void>(), deferred<void>(), deferred<void>()];
    const started: string[] = [];
    const heavy = lim.run(() => (started.push('heavy'), gates[0]!.promise), 'background', 3);
    const light = lim.run(() => (started.push('light'), gates[1]!.promise), 'background', 1);
    const huge = lim.run(() => (started.push('huge'), gates[2]!.promise), 'background', 100);
    await tick();
    expect(started).toEqual(['heavy', 'light']);
    expect(lim.inFlight).toBe(4);
    gates[0]!.resolve();
    await tick();
    expect(started).toEqual(['heavy', 'light']); // the huge one (capped at 4) waits for every slot
    gates[1]!.resolve();
    await tick();
    expect(started).toEqual(['heavy', 'light', 'huge']);
    expect(lim.inFlight).toBe(4);
    gates[2]!.resolve();
    await Promise.all([heavy, light, huge]);
    expect(lim.inFlight).toBe(0);
  });

  it('lets an urgent query that fits start past background ones waiting for room', async () => {
    const lim = new Limiter(4);
    const gate = deferred<void>();
    const order: string[] = [];
    const first = lim.run(() => gate.promise, 'background', 2);
    const bg = lim.run(async () => void order.push('bg'), 'background', 4);
    const urgent = lim.run(async () => void order.push('urgent'), 'urgent', 2);
    await tick();
    expect(order).toEqual(['urgent']);
    gate.resolve();
    await Promise.all([first, bg, urgent]);
    expect(order).toEqual(['urgent', 'bg']);
    expect(lim.inFlight).toBe(0);
  });
});
