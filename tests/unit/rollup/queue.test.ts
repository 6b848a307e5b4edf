import { CoalescingQueue } from '../../../rollup/queue';
import { counterKey, type CounterRef } from '../../../src/model';

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

describe('CoalescingQueue edge cases', () => {
  it('keeps a coalesced counter at its first position (a repeat does not move it back)', () => {
    const q = new CoalescingQueue(10);
    offer(q, 'a');
    offer(q, 'b');
    offer(q, 'c');
    expect(offer(q, 'a')).toBe('coalesced');
    expect(q.take(10)).toEqual([ref('a'), ref('b'), ref('c')]);
  });

  it('keeps the ref of the first offer when a repeat coalesces', () => {
    const q = new CoalescingQueue(10);
    const first = ref('a');
    q.offer(counterKey(first), first);
    q.offer(counterKey(first), ref('a'));
    expect(q.take(1)).toEqual([first]);
  });

  it('keeps only the namespace and name of what is offered, never the event a write offers', () => {
    const q = new CoalescingQueue(10);
    const event = { namespace: 'ns', name: 'a', delta: 5n, eventId: 'e'.repeat(64), token: 't'.repeat(64), generationTimeUs: 1 };
    q.offer(counterKey(event), event);
    const [taken] = q.take(1);
    expect(taken).toEqual({ namespace: 'ns', name: 'a' });
    expect(taken).not.toBe(event);
  });

  it('take(0) takes nothing and leaves every counter waiting', () => {
    const q = new CoalescingQueue(10);
    offer(q, 'a');
    offer(q, 'b');
    expect(q.take(0)).toEqual([]);
    expect(q.size).toBe(2);
  });

  it('take on an empty queue returns an empty list', () => {
    expect(new CoalescingQueue(3).take(5)).toEqual([]);
  });

  it('a taken counter offered again goes to the back', () => {
    const q = new CoalescingQueue(10);
    for (const n of ['a', 'b', 'c']) offer(q, n);
    q.take(1);
    offer(q, 'a');
    expect(q.take(10)).toEqual([ref('b'), ref('c'), ref('a')]);
  });

  it('a queue of capacity 0 drops every counter', () => {
    const q = new CoalescingQueue(0);
    expect(offer(q, 'a')).toBe('dropped');
    expect(q.size).toBe(0);
    expect(q.capacity).toBe(0);
  });

  it('size follows queued, coalesced, dropped and taken counters', () => {
    const q = new CoalescingQueue(3);
    const outcomes = ['a', 'b', 'a', 'c', 'd', 'b'].map((n) => offer(q, n));
    expect(outcomes).toEqual(['queued', 'queued', 'coalesced', 'queued', 'dropped', 'coalesced']);
    expect(q.size).toBe(3);
    q.take(2);
    expect(q.size).toBe(1);
  });

  it('a dropped offer does not wake a waiting drainer', async () => {
    const q = new CoalescingQueue(0);
    let woke = false;
    void q.nonEmpty().then(() => (woke = true));
    offer(q, 'a');
    await new Promise((r) => setImmediate(r));
    expect(woke).toBe(false);
    q.interrupt();
    await new Promise((r) => setImmediate(r));
    expect(woke).toBe(true);
  });

  it('wakes a drainer once: after it took everything, the next wait needs a new offer', async () => {
    const q = new CoalescingQueue(4);
    const first = q.nonEmpty();
    offer(q, 'a');
    await first;
    q.take(4);
    let woke = false;
    void q.nonEmpty().then(() => (woke = true));
    await new Promise((r) => setImmediate(r));
    expect(woke).toBe(false);
    offer(q, 'b');
    await new Promise((r) => setImmediate(r));
    expect(woke).toBe(true);
  });

  it('interrupt without a waiting drainer does nothing, and a later wait still blocks', async () => {
    const q = new CoalescingQueue(4);
    q.interrupt();
    let woke = false;
    void q.nonEmpty().then(() => (woke = true));
    await new Promise((r) => setImmediate(r));
    expect(woke).toBe(false);
    q.interrupt();
    await new Promise((r) => setImmediate(r));
    expect(woke).toBe(true);
  });
});
