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
   * Adds delta atomically, refreshes the TTL, and returns the new count (outcome 'applied').
   * `timeUs` is the add's generation time (µs since the epoch). Not counted, with the count
   * unchanged and returned as it is (TTL not refreshed):
   * - a dedupe key already seen within its ttlMs: 'duplicate' (a retry);
   * - timeUs at or before the counter's clear watermark: 'superseded' (accepted, but a clear
   *   generated at or after it cancels it). The dedupe key is marked, so a retry of it is
   *   then a duplicate, as in the durable modes.
   * Throws CounterError COUNT_OVERFLOW if the result would leave the 64-bit range (and
   * marks nothing).
   */
  add(op: BestEffortAdd): Promise<BestEffortAddResult>;
  get(refs: CounterRef[]): Promise<bigint[]>;
  /**
   * Clears the counter as of `clearUs` (its generation time, µs): raises the clear watermark
   * to clearUs and zeroes the count. A clear at or before the watermark is covered by the
   * newer clear already there and leaves the count (adds generated after that newer clear
   * still count). The watermark is kept at least `watermarkTtlMs` from now (the caller
   * knows when no add at or before clearUs can be accepted any more), then forgotten.
   * Returns the count after it; a dedupe key already seen changes nothing ('duplicate').
   */
  clear(op: BestEffortClear): Promise<BestEffortClearResult>;
  /**
   * Forgets every counter of the namespace with its dedupe records and clear watermarks
   * (deleteNamespace; nothing writes to the namespace any more). Returns the entries removed.
   */
  clearNamespace(namespace: string): Promise<number>;
  close(): Promise<void>;
}

export interface BestEffortAdd {
  ref: CounterRef;
  delta: bigint;
  /** The add's generation time, µs since the epoch. */
  timeUs: number;
  /** Expiry of the counter, refreshed by every counted add; null: none. */
  ttlSeconds: number | null;
  dedupe: Dedupe | null;
}

export interface BestEffortAddResult {
  count: bigint;
  outcome: 'applied' | 'duplicate' | 'superseded';
}

export interface BestEffortClear {
  ref: CounterRef;
  /** The clear's generation time, µs since the epoch. */
  clearUs: number;
  watermarkTtlMs: number;
  dedupe: Dedupe | null;
}

export interface BestEffortClearResult {
  count: bigint;
  outcome: 'applied' | 'duplicate';
}

export interface Dedupe {
  key: string;
  ttlMs: number;
}

/**
 * The converged count of EVENTUAL counters (the last roll-up's result), shared by the
 * instances that serve them. `asOfMs` orders competing roll-ups: a value computed from an
 * older read never replaces a newer one.
 */
export interface ConvergedCache {
  get(refs: CounterRef[]): Promise<(bigint | undefined)[]>;
  /**
   * Whether this process holds a converged value of the counter (by counterKey), at once: a
   * cache in this process's memory only (a shared one has no answer without a round trip).
   */
  holds?(key: string): boolean;
  /** Stores each value unless a newer one (larger asOfMs) is there. */
  setMany(update: ConvergedUpdate): Promise<ConvergedUpdateResult>;
  /** Forgets the converged values of every counter of the namespace (deleteNamespace). Returns the entries removed. */
  clearNamespace(namespace: string): Promise<number>;
  close(): Promise<void>;
}

export interface ConvergedUpdate {
  /** `key`: the counter's counterKey when the caller has it (spares building it again). */
  entries: { ref: CounterRef; value: bigint; key?: string | undefined }[];
  /** When the values were read (the roll-up's asOf). */
  asOfMs: number;
  /**
   * Update only the counters held already; add none (a roll-up of counters nobody read: see
   * RollupDeps.rollUnread). A counter not held counts as changed (it is published).
   */
  refreshOnly?: boolean;
}

export interface ConvergedUpdateResult {
  /** Per entry, in input order: true when the stored value changed (the caller publishes it). */
  changed: boolean[];
}
