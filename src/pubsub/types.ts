import type { CounterRef } from '../model';

/** A converged value of a counter, as pushed to `counterUpdated` subscribers. */
export interface CounterUpdate extends CounterRef {
  count: bigint;
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
