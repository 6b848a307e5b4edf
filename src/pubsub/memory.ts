import { counterKey, type CounterRef } from '../model';
import type { CounterUpdate, Listener, PubSub } from './types';

/**
 * In-process pub/sub: one entry per counter holding its local listeners, created by the first
 * subscriber and dropped when the last one leaves (reference counting by set size).
 */
export class MemoryPubSub implements PubSub {
  /** Each subscription gets its own box, so the same function subscribed twice counts twice. */
  private readonly listeners = new Map<string, Set<{ listener: Listener }>>();

  publish(update: CounterUpdate): void {
    const set = this.listeners.get(counterKey(update));
    if (!set) return;
    for (const box of set) {
      // One failing listener must not starve the others of this update.
      try {
        box.listener(update);
      } catch {
        /* the listener's own problem; the others still get the value */
      }
    }
  }

  subscribe(ref: CounterRef, listener: Listener): () => void {
    const key = counterKey(ref);
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    const box = { listener };
    set.add(box);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      const s = this.listeners.get(key);
      if (!s) return;
      s.delete(box);
      if (s.size === 0) this.listeners.delete(key);
    };
  }

  activeCounters(): number {
    return this.listeners.size;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
