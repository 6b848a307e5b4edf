import { CoalescingQueue } from '../../rollup/queue';
import { counterKey, type CounterRef } from '../../src/model';

const ref = (name: string): CounterRef => ({ namespace: 'ns', name });
const offer = (q: CoalescingQueue, name: string) => q.offer(counterKey(ref(name)), ref(name));

describe('CoalescingQueue', () => {
  it('coalesces repeats of a waiting counter into one entry', () => {
    const q = new CoalescingQueue(10);
    expect(offer(q, 'a')).toBe('queued');
    expect(offer(q, 'a')).toBe('coalesced');
    expect(offer(q, 'b')).toBe('queued');
    expect(offer(q, 'a')).toBe('coalesced');
    expect(q.size).toBe(2);
    expect(q.take(10)).toEqual([ref('a'), ref('b')]);
  });

  it('takes oldest first, at most n, and accepts a taken counter again', () => {
    const q = new CoalescingQueue(10);
    for (const n of ['a', 'b', 'c', 'd']) offer(q, n);
    expect(q.take(3)).toEqual([ref('a'), ref('b'), ref('c')]);
    expect(q.size).toBe(1);
    expect(offer(q, 'a')).toBe('queued');
    expect(q.take(3)).toEqual([ref('d'), ref('a')]);
    expect(q.take(3)).toEqual([]);
  });

  it('is bounded: a full queue drops new counters but still coalesces waiting ones', () => {
    const q = new CoalescingQueue(2);
    expect(offer(q, 'a')).toBe('queued');
    expect(offer(q, 'b')).toBe('queued');
    expect(offer(q, 'c')).toBe('dropped');
    expect(offer(q, 'b')).toBe('coalesced');
    expect(q.size).toBe(2);
    q.take(1);
    expect(offer(q, 'c')).toBe('queued');
    expect(q.take(5)).toEqual([ref('b'), ref('c')]);
  });

  it('nonEmpty resolves at once when items wait, else on the next offer', async () => {
    const q = new CoalescingQueue(4);
    offer(q, 'a');
    await q.nonEmpty();
    q.take(1);
    let woke = false;
    const p = q.nonEmpty().then(() => (woke = true));
    await new Promise((r) => setImmediate(r));
    expect(woke).toBe(false);
    offer(q, 'b');
    await p;
    expect(woke).toBe(true);
  });

  it('interrupt wakes a waiting drainer without an item', async () => {
    const q = new CoalescingQueue(4);
    const p = q.nonEmpty();
    q.interrupt();
    await p;
    expect(q.size).toBe(0);
  });

  it('distinguishes counters of different namespaces with the same name', () => {
    const q = new CoalescingQueue(4);
    const a = { namespace: 'n1', name: 'x' };
    const b = { namespace: 'n2', name: 'x' };
    expect(q.offer(counterKey(a), a)).toBe('queued');
    expect(q.offer(counterKey(b), b)).toBe('queued');
    expect(q.take(4)).toEqual([a, b]);
  });
});
