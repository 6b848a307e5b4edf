import type { CounterRef } from '../src/model';

/**
 * A bounded, coalescing queue of counters to roll up. It is a set in insertion order: a
 * counter already waiting is not added again, so a hot counter costs one roll-up per drain
 * however many writes it took. When full it refuses (returns 'dropped') instead of
 * blocking: the write path never waits on the roll-up, and the store's durable pending
 * record lets the sweeper find a dropped counter again.
 */
export class CoalescingQueue {
  private readonly items = new Map<string, CounterRef>();
  private wake: (() => void) | null = null;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.items.size;
  }

  /**
   * Queues the counter. Only its namespace and name are kept: writes offer their whole event
   * (token, event id, delta), and a full set of queues holding those kept ~300 bytes more per
   * counter waiting (~40 MB at capacity) while the roll-up caught up with a bulk load.
   */
  offer(key: string, ref: CounterRef): 'queued' | 'coalesced' | 'dropped' {
    if (this.items.has(key)) return 'coalesced';
    if (this.items.size >= this.capacity) return 'dropped';
    this.items.set(key, { namespace: ref.namespace, name: ref.name });
    if (this.wake) {
      const w = this.wake;
      this.wake = null;
      w();
    }
    return 'queued';
  }

  /** Removes and returns up to n counters, oldest first. */
  take(n: number): CounterRef[] {
    const out: CounterRef[] = [];
    for (const [key, ref] of this.items) {
      if (out.length >= n) break;
      out.push(ref);
      this.items.delete(key);
    }
    return out;
  }

  /** Resolves when the queue is non-empty (at once if it already is). */
  nonEmpty(): Promise<void> {
    if (this.items.size > 0) return Promise.resolve();
    return new Promise((r) => (this.wake = r));
  }

  /** Wakes a waiting drainer without an item (used on stop). */
  interrupt(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}
