import type { CounterRef } from '../src/model';

/**
 * Which work an offer is: `urgent` for a write or a read (someone waits for the converged
 * value), `background` for a sweep (the converged value was published already; only the
 * checkpoint has to move, or a dropped or failed roll-up is retried).
 */
export type Lane = 'urgent' | 'background';

/**
 * Share of a batch kept for background work while both lanes hold counters: urgent work goes
 * first, but a steady stream of it (a million distinct counters written) cannot starve the
 * sweeps' checkpoint moves, without which pending rows and unpurgeable events pile up.
 */
export const BACKGROUND_SHARE = 0.25;

/**
 * A bounded, coalescing queue of counters to roll up, in two lanes. Each lane is a set in
 * insertion order: a counter already waiting is not added again, so a hot counter costs one
 * roll-up per drain however many writes it took. An urgent offer of a counter waiting in the
 * background lane moves it to the urgent one: the sweeps offer up to thousands of counters at
 * once, and a write queued behind them waited for all of them. When full (both lanes together)
 * it refuses (returns 'dropped') instead of blocking: the write path never waits on the
 * roll-up, and the store's durable pending record lets the sweeper find a dropped counter again.
 */
export class CoalescingQueue {
  private readonly urgent = new Map<string, { ref: CounterRef; since: number }>();
  private readonly background = new Map<string, CounterRef>();
  private wake: (() => void) | null = null;
  /** The drainer waiting for urgent work while only background work waits (see onUrgent). */
  private urgentWaiter: (() => void) | undefined;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.urgent.size + this.background.size;
  }

  /** Counters waiting in the urgent lane. */
  get urgentSize(): number {
    return this.urgent.size;
  }

  /** Whether the counter waits in either lane. */
  has(key: string): boolean {
    return this.urgent.has(key) || this.background.has(key);
  }

  /**
   * Queues the counter. Only its namespace and name are kept: writes offer their whole event
   * (token, event id, delta), and a full set of queues holding those kept ~300 bytes more per
   * counter waiting (~40 MB at capacity) while the roll-up caught up with a bulk load.
   */
  offer(key: string, ref: CounterRef, lane: Lane = 'urgent', now = performance.now()): 'queued' | 'coalesced' | 'dropped' {
    if (this.urgent.has(key)) return 'coalesced';
    const waiting = this.background.get(key);
    if (waiting) {
      if (lane === 'background') return 'coalesced';
      this.background.delete(key);
      this.urgent.set(key, { ref: waiting, since: now });
      this.wakeUrgent();
      return 'coalesced';
    }
    if (this.size >= this.capacity) return 'dropped';
    const kept = { namespace: ref.namespace, name: ref.name };
    if (lane === 'urgent') {
      this.urgent.set(key, { ref: kept, since: now });
      this.wakeUrgent();
    } else this.background.set(key, kept);
    if (this.wake) {
      const w = this.wake;
      this.wake = null;
      w();
    }
    return 'queued';
  }

  /**
   * Removes and returns up to n counters, oldest first within a lane: urgent ones first,
   * keeping up to BACKGROUND_SHARE of the batch for background ones when both lanes wait.
   * `since`, if given, receives for each counter the performance.now() of its first urgent
   * offer since it was last taken (NaN for background work): the roll-up lag's start.
   * `keys`, if given, receives their keys (spares building them again).
   */
  take(n: number, since?: number[], keys?: string[]): CounterRef[] {
    const refs: CounterRef[] = [];
    const reserved = Math.min(this.background.size, Math.floor(n * BACKGROUND_SHARE));
    for (const [key, w] of this.urgent) {
      if (refs.length >= n - reserved) break;
      refs.push(w.ref);
      since?.push(w.since);
      keys?.push(key);
      this.urgent.delete(key);
    }
    for (const [key, ref] of this.background) {
      if (refs.length >= n) break;
      refs.push(ref);
      since?.push(NaN);
      keys?.push(key);
      this.background.delete(key);
    }
    return refs;
  }

  /** Resolves when the queue is non-empty (at once if it already is). */
  nonEmpty(): Promise<void> {
    if (this.size > 0) return Promise.resolve();
    return new Promise((r) => (this.wake = r));
  }

  /**
   * Calls wake once urgent work waits (at once if some does), unless the returned function
   * was called first. One waiter at a time, the queue's drainer: a pause for background work
   * that ends by its timer cancels, so nothing piles up while urgent work never comes.
   */
  onUrgent(wake: () => void): () => void {
    if (this.urgent.size > 0) {
      wake();
      return () => {};
    }
    this.urgentWaiter = wake;
    return () => {
      if (this.urgentWaiter === wake) this.urgentWaiter = undefined;
    };
  }

  /** Wakes a waiting drainer without an item (used on stop). */
  interrupt(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
    this.wakeUrgent();
  }

  private wakeUrgent(): void {
    const w = this.urgentWaiter;
    this.urgentWaiter = undefined;
    w?.();
  }
}
