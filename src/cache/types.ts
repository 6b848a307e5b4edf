import type { CounterRef } from '../model';

/**
 * BEST_EFFORT counters: a cache with TTL, no durability (Netflix: EVCache incr/decr).
 * Implementations: memory (one process) and Redis (shared); the cache conformance suite
 * holds both to the same rules.
 *
 * Clears count as of their generation time through a per-counter clear watermark (the
 * newest clear time seen): an add generated at or before it no longer counts, whenever it
 * arrives. Limit: an add generated after a clear but applied before the clear arrived is
 * lost when the clear zeroes the count: a cache holds a sum, not the events, so it cannot
 * take back only the adds generated before the clear.
 */
export interface BestEffortCache {
  /**
   * Adds delta atomically, refreshes the TTL, and returns the new count (applied: true).
   * `timeUs` is the add's generation time (µs since the epoch). Not counted, with the count
   * unchanged and returned as it is (TTL not refreshed):
   * - a dedupe key already seen within dedupeTtlMs: applied: false (a retry);
   * - timeUs at or before the counter's clear watermark: applied: false, superseded: true
   *   (accepted, but a clear generated at or after it cancels it). The dedupe key is marked,
   *   so a retry of it is then a duplicate, as in the durable modes.
   * Throws CounterError COUNT_OVERFLOW if the result would leave the 64-bit range (and
   * marks nothing).
   */
  add(
    ref: CounterRef,
    delta: bigint,
    timeUs: number,
    ttlSeconds: number | null,
    dedupe: Dedupe | null,
  ): Promise<{ count: bigint; applied: boolean; superseded?: true }>;
  get(refs: CounterRef[]): Promise<bigint[]>;
  /**
   * Clears the counter as of `clearUs` (its generation time, µs): raises the clear watermark
   * to clearUs and zeroes the count. A clear at or before the watermark is covered by the
   * newer clear already there and leaves the count (adds generated after that newer clear
   * still count). The watermark is kept at least `watermarkTtlMs` from now (the caller
   * knows when no add at or before clearUs can be accepted any more), then forgotten.
   * Returns the count after it; a dedupe key already seen changes nothing (applied: false).
   */
  clear(ref: CounterRef, clearUs: number, watermarkTtlMs: number, dedupe: Dedupe | null): Promise<{ count: bigint; applied: boolean }>;
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
