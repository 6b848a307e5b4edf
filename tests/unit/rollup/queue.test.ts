import { BACKGROUND_SHARE, CoalescingQueue } from '../../../rollup/queue';
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

describe('CoalescingQueue lanes', () => {
  const bg = (q: CoalescingQueue, name: string) => q.offer(counterKey(ref(name)), ref(name), 'background');

  it('takes urgent counters before background ones, each lane oldest first', () => {
    const q = new CoalescingQueue(10);
    bg(q, 's1');
    bg(q, 's2');
    offer(q, 'w1');
    offer(q, 'w2');
    expect(q.take(10)).toEqual([ref('w1'), ref('w2'), ref('s1'), ref('s2')]);
  });

  it(`keeps ${BACKGROUND_SHARE * 100}% of a batch for background work while both lanes wait`, () => {
    const q = new CoalescingQueue(100);
    for (const n of ['s1', 's2', 's3']) bg(q, n);
    for (let i = 0; i < 10; i++) offer(q, `w${i}`);
    expect(q.take(8).map((r) => r.name)).toEqual(['w0', 'w1', 'w2', 'w3', 'w4', 'w5', 's1', 's2']);
    expect(q.take(8).map((r) => r.name)).toEqual(['w6', 'w7', 'w8', 'w9', 's3']);
  });

  it('moves a background counter to the urgent lane on an urgent offer, without a second entry', () => {
    const q = new CoalescingQueue(10);
    bg(q, 'a');
    bg(q, 'b');
    expect(offer(q, 'b')).toBe('coalesced');
    expect(bg(q, 'b')).toBe('coalesced');
    expect(q.size).toBe(2);
    expect(q.take(10)).toEqual([ref('b'), ref('a')]);
  });

  it('bounds both lanes together', () => {
    const q = new CoalescingQueue(2);
    bg(q, 'a');
    offer(q, 'b');
    expect(offer(q, 'c')).toBe('dropped');
    expect(bg(q, 'c')).toBe('dropped');
    expect(q.size).toBe(2);
  });

  it("hands out each urgent counter's first offer time, NaN for background ones", () => {
    const q = new CoalescingQueue(10);
    q.offer(counterKey(ref('s')), ref('s'), 'background', 5);
    q.offer(counterKey(ref('a')), ref('a'), 'urgent', 10);
    q.offer(counterKey(ref('a')), ref('a'), 'urgent', 20);
    q.offer(counterKey(ref('s')), ref('s'), 'urgent', 30);
    const since: number[] = [];
    expect(q.take(10, since)).toEqual([ref('a'), ref('s')]);
    expect(since).toEqual([10, 30]);
    q.offer(counterKey(ref('t')), ref('t'), 'background', 40);
    const again: number[] = [];
    q.take(10, again);
    expect(again).toEqual([NaN]);
  });

  it('onUrgent wakes its waiter on urgent work only (a move from the background lane too), at once if some waits, never once cancelled', () => {
    const q = new CoalescingQueue(10);
    const woken: string[] = [];
    q.onUrgent(() => woken.push('first'));
    q.offer('ns\u0000bg', ref('bg'), 'background');
    expect(woken).toEqual([]);
    q.offer('ns\u0000bg', ref('bg'), 'urgent'); // moved to the urgent lane
    expect(woken).toEqual(['first']);
    q.offer('ns\u0000x', ref('x'), 'urgent');
    expect(woken).toEqual(['first']); // woken once
    q.onUrgent(() => woken.push('at once'));
    expect(woken).toEqual(['first', 'at once']);
    q.take(10);
    const cancel = q.onUrgent(() => woken.push('cancelled'));
    cancel();
    offer(q, 'y');
    expect(woken).toEqual(['first', 'at once']);
    q.take(10);
    q.onUrgent(() => woken.push('stopped'));
    expect(woken).toEqual(['first', 'at once']);
    q.interrupt();
    expect(woken).toEqual(['first', 'at once', 'stopped']);
  });
});
