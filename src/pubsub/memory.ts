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
 * Listeners of one counter called in one turn of the event loop; a larger fan-out continues
 * in the next turns (setImmediate). Each call starts a subscriber's delivery (execution,
 * serialisation, socket write) as a chain of promise jobs, and jobs started in one turn all
 * run before the next: 10,000 subscribers called at once held 10,000 deliveries' objects
 * alive together, long enough to be promoted to the old generation, ~27 KB each (~275 MB of
 * heap per update at 10,000 subscribers). 500 at a time keeps them young and short-lived,
 * and lets the first sockets write while the others are still being called. (Subscribers
 * now share one listener per counter, the Watcher's feed, which chunks its own fan-out the
 * same way: this bounds any other many-listener use.)
 */
export const FAN_OUT_CHUNK = 500;

interface Box {
  listener: Listener;
  active: boolean;
}

/**
 * In-process pub/sub: one entry per counter holding its local listeners, created by the first
 * subscriber and dropped when the last one leaves (reference counting by set size). It is
 * also the local fan-out of the Redis pub/sub, which mirrors first/last into SUBSCRIBE and
 * UNSUBSCRIBE through the hooks.
 *
 * A counter with more than FAN_OUT_CHUNK listeners is fanned out over several turns of the
 * event loop, to the listeners it had when the publish came (one that left meanwhile is
 * skipped). Its publishes meanwhile wait their turn, conflated to the newest: each listener
 * sees the counter's updates in order, never an older one after a newer one, and a fan-out
 * slower than the publishes sends the latest value next instead of falling behind.
 */
export class MemoryPubSub implements PubSub {
  /** Each subscription gets its own box, so the same function subscribed twice counts twice. */
  private readonly listeners = new Map<string, Set<Box>>();
  /**
   * Counters with a fan-out over several turns in progress, and the latest publish waiting
   * for it (null: none), with the listeners it had when it came (a listener that arrived
   * later has read a value at least as new: a late older update would step it back).
   */
  private readonly fanning = new Map<string, { update: CounterUpdate; boxes: Box[] } | null>();

  constructor(private readonly hooks: FanOutHooks = {}) {}

  publish(update: CounterUpdate): void {
    const key = counterKey(update);
    const set = this.listeners.get(key);
    if (!set) return;
    if (this.fanning.has(key)) {
      // Conflated, as each subscriber's LatestValueIterator does: the newest value replaces
      // one not sent yet. Queueing every update would let a fan-out slower than the
      // publishes fall behind without bound, every listener sent every stale value.
      const waiting = this.fanning.get(key);
      if (!waiting || update.asOfMs >= waiting.update.asOfMs) this.fanning.set(key, { update, boxes: [...set] });
      return;
    }
    if (set.size <= FAN_OUT_CHUNK) {
      for (const box of set) this.call(box, update);
      return;
    }
    this.fanning.set(key, null);
    this.fanOut(key, [...set], update, 0);
  }

  subscribe(ref: CounterRef, listener: Listener): () => void {
    const key = counterKey(ref);
    let set = this.listeners.get(key);
    if (!set) {
      this.listeners.set(key, (set = new Set()));
      this.hooks.first?.({ namespace: ref.namespace, name: ref.name });
    }
    const box: Box = { listener, active: true };
    set.add(box);
    return () => {
      if (!box.active) return;
      box.active = false;
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
    for (const set of this.listeners.values()) for (const box of set) box.active = false;
    this.listeners.clear();
    this.fanning.clear();
  }

  /** One listener; one failing must not starve the others of this update. */
  private call(box: Box, update: CounterUpdate): void {
    if (!box.active) return;
    try {
      box.listener(update);
    } catch (err) {
      this.hooks.listenerFailed?.(err);
    }
  }

  /** Calls boxes[from..from + FAN_OUT_CHUNK), then goes on in the next turn; then the next waiting publish. */
  private fanOut(key: string, boxes: Box[], update: CounterUpdate, from: number): void {
    const end = Math.min(from + FAN_OUT_CHUNK, boxes.length);
    for (let i = from; i < end; i++) this.call(boxes[i]!, update);
    if (end < boxes.length) {
      setImmediate(() => this.fanOut(key, boxes, update, end));
      return;
    }
    const next = this.fanning.get(key);
    if (!next) {
      this.fanning.delete(key);
      return;
    }
    this.fanning.set(key, null);
    setImmediate(() => this.fanOut(key, next.boxes, next.update, 0));
  }
}
