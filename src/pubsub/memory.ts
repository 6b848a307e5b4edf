import { counterKey, type CounterRef } from '../model';
import type { CounterUpdate, Listener, PubSub } from './types';

/** Hooks of a fan-out that mirrors its counters somewhere else (the Redis pub/sub). */
export interface FanOutHooks {
  /** The first local listener of a counter arrived. */
  first?(ref: CounterRef): void;
  /** The last local listener of a counter left. */
  last?(ref: CounterRef): void;
  /** A listener threw; the other listeners still got the update. */
  listenerFailed?(err: unknown): void;
}

/**
 * In-process pub/sub: one entry per counter holding its local listeners, created by the first
 * subscriber and dropped when the last one leaves (reference counting by set size). It is
 * also the local fan-out of the Redis pub/sub, which mirrors first/last into SUBSCRIBE and
 * UNSUBSCRIBE through the hooks.
 */
export class MemoryPubSub implements PubSub {
  /** Each subscription gets its own box, so the same function subscribed twice counts twice. */
  private readonly listeners = new Map<string, Set<{ listener: Listener }>>();

  constructor(private readonly hooks: FanOutHooks = {}) {}

  publish(update: CounterUpdate): void {
    const set = this.listeners.get(counterKey(update));
    if (!set) return;
    for (const box of set) {
      // One failing listener must not starve the others of this update.
      try {
        box.listener(update);
      } catch (err) {
        this.hooks.listenerFailed?.(err);
      }
    }
  }

  subscribe(ref: CounterRef, listener: Listener): () => void {
    const key = counterKey(ref);
    let set = this.listeners.get(key);
    if (!set) {
      this.listeners.set(key, (set = new Set()));
      this.hooks.first?.({ namespace: ref.namespace, name: ref.name });
    }
    const box = { listener };
    set.add(box);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      const s = this.listeners.get(key);
      if (!s) return;
      s.delete(box);
      if (s.size > 0) return;
      this.listeners.delete(key);
      this.hooks.last?.({ namespace: ref.namespace, name: ref.name });
    };
  }

  activeCounters(): number {
    return this.listeners.size;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
