import type { CounterRef } from '../model';

/** A converged value of a counter, as pushed to `counterUpdated` subscribers. */
export interface CounterUpdate extends CounterRef {
  count: bigint;
  /**
   * When the value was read (the roll-up's asOf, the same order the roll-up cache keeps:
   * a newer asOf wins). Updates of one counter can arrive out of order across instances
   * (a local publish is delivered at once, a remote one through Redis); a subscriber drops
   * one older than the last it sent, so it never steps back to a stale value.
   */
  asOfMs: number;
}

export type Listener = (update: CounterUpdate) => void;

/**
 * Fan-out of converged counts. In memory for one process; over Redis across instances (the
 * instance that rolls a counter up publishes, every instance with subscribers hears it).
 * Implementations keep one upstream subscription per counter, reference-counted.
 */
export interface PubSub {
  publish(update: CounterUpdate): void;
  /** Returns the function that removes this listener (idempotent). */
  subscribe(ref: CounterRef, listener: Listener): () => void;
  /** Number of counters with at least one listener in this process (for tests and metrics). */
  activeCounters(): number;
  close(): Promise<void>;
}
