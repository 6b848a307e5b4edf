import { counterKey, type CounterRef } from '../model';
import type { CounterUpdate, Listener, PubSub } from './types';

/** In-process pub/sub: a set of listeners per counter, dropped when the last one leaves. */
export class MemoryPubSub implements PubSub {
  private readonly listeners = new Map<string, Set<Listener>>();

  publish(update: CounterUpdate): void {
    const set = this.listeners.get(counterKey(update));
    if (!set) return;
    for (const l of set) l(update);
  }

  subscribe(ref: CounterRef, listener: Listener): () => void {
    const key = counterKey(ref);
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    return () => {
      const s = this.listeners.get(key);
      if (!s) return;
      s.delete(listener);
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
