import type { CounterRef } from '../model';

/**
 * BEST_EFFORT counters: a cache with TTL, no durability (Netflix: EVCache incr/decr).
 * Implementations: memory (one process) and Redis (shared); the cache conformance suite
 * holds both to the same rules.
 */
export interface BestEffortCache {
  /**
   * Adds delta atomically, refreshes the TTL, and returns the new count. With a dedupe key,
   * a key already seen within dedupeTtlMs leaves the count untouched (applied: false).
   * Throws CounterError COUNT_OVERFLOW if the result would leave the 64-bit range.
   */
  add(ref: CounterRef, delta: bigint, ttlSeconds: number | null, dedupe: Dedupe | null): Promise<{ count: bigint; applied: boolean }>;
  get(refs: CounterRef[]): Promise<bigint[]>;
  /** Deletes the counter (it counts 0 again). */
  clear(ref: CounterRef, dedupe: Dedupe | null): Promise<{ applied: boolean }>;
  close(): Promise<void>;
}

export interface Dedupe {
  key: string;
  ttlMs: number;
}

/**
 * The last rolled-up value of EVENTUAL counters, shared by the instances that serve them.
 * `asOfMs` orders competing roll-ups: a value computed from an older read never replaces a
 * newer one.
 */
export interface RollupCache {
  get(refs: CounterRef[]): Promise<(bigint | undefined)[]>;
  /**
   * Stores each value unless a newer one (larger asOfMs) is there; per entry, true when the
   * stored value changed (the caller then publishes it).
   */
  setMany(entries: { ref: CounterRef; value: bigint }[], asOfMs: number): Promise<boolean[]>;
  close(): Promise<void>;
}
