import { LRUCache } from 'lru-cache';
import { CounterError, ErrorCode } from '../../errors';
import { counterKey, inInt64, type CounterRef } from '../../model';
import type { BestEffortAdd, BestEffortAddResult, BestEffortCache, BestEffortClear, BestEffortClearResult } from '../types';

/** What the cache holds, by kind (the `kind` label of its metrics). */
export type BestEffortEntryKind = 'counters' | 'idempotency' | 'watermarks';

export interface MemoryBestEffortOptions {
  /** Counters held at most (BEST_EFFORT_MAX_COUNTERS); clear watermarks are bounded alike. */
  maxCounters?: number;
  /** Idempotency (dedupe) records held at most (BEST_EFFORT_MAX_IDEMPOTENCY_KEYS). */
  maxIdempotencyKeys?: number;
  /** How often expired entries are dropped (they are also dropped when read). */
  sweepMs?: number;
  /** Called for each entry dropped to make room (not for expiries, clears or replacements). */
  onEvict?: (kind: BestEffortEntryKind) => void;
}

export const DEFAULT_BEST_EFFORT_MAX_COUNTERS = 100_000;
export const DEFAULT_BEST_EFFORT_MAX_IDEMPOTENCY_KEYS = 200_000;

/**
 * BEST_EFFORT counters in this process's memory, bounded: at most `maxCounters` counters
 * (least recently used first out), as many clear watermarks, and `maxIdempotencyKeys` dedupe
 * records, so that a client writing ever new counter names or tokens cannot grow the process
 * without limit. A counter dropped to make room restarts from 0, as an expired one does (a
 * BEST_EFFORT count is a cache's value, not a durable one); a dropped dedupe record lets a
 * late retry of its write count again; a dropped watermark lets an add generated before its
 * clear count. Entries past their TTL are dropped when read and by a periodic sweep. (See
 * BestEffortCache for the watermark and its limit.)
 */
export class MemoryBestEffortCache implements BestEffortCache {
  private readonly counts: LRUCache<string, bigint>;
  private readonly seen: LRUCache<string, true>; // dedupe keys
  private readonly watermarks: LRUCache<string, number>; // counter key -> newest clear time (µs)
  private readonly sweeper: NodeJS.Timeout;

  constructor(opts: MemoryBestEffortOptions = {}) {
    const maxCounters = opts.maxCounters ?? DEFAULT_BEST_EFFORT_MAX_COUNTERS;
    const evicted = (kind: BestEffortEntryKind) => (_v: unknown, _k: string, reason: LRUCache.DisposeReason) => {
      if (reason === 'evict') opts.onEvict?.(kind);
    };
    this.counts = new LRUCache<string, bigint>({ max: maxCounters, dispose: evicted('counters') });
    this.seen = new LRUCache<string, true>({ max: opts.maxIdempotencyKeys ?? DEFAULT_BEST_EFFORT_MAX_IDEMPOTENCY_KEYS, dispose: evicted('idempotency') });
    this.watermarks = new LRUCache<string, number>({ max: maxCounters, dispose: evicted('watermarks') });
    this.sweeper = setInterval(() => this.sweep(), opts.sweepMs ?? 5000);
    this.sweeper.unref();
  }

  /** Entries held, by kind (the size gauge). */
  sizes(): Record<BestEffortEntryKind, number> {
    return { counters: this.counts.size, idempotency: this.seen.size, watermarks: this.watermarks.size };
  }

  async add({ ref, delta, timeUs, ttlSeconds, dedupe }: BestEffortAdd): Promise<BestEffortAddResult> {
    const key = counterKey(ref);
    const current = this.counts.get(key) ?? 0n;
    if (dedupe && this.seen.get(dedupe.key)) return { count: current, outcome: 'duplicate' };
    const wm = this.watermarks.get(key);
    if (wm !== undefined && timeUs <= wm) {
      if (dedupe) this.mark(dedupe.key, dedupe.ttlMs);
      return { count: current, outcome: 'superseded' };
    }
    const next = current + delta;
    if (!inInt64(next)) {
      throw new CounterError(ErrorCode.CountOverflow, `adding ${delta} to ${ref.namespace}/${ref.name} (${current}) leaves the 64-bit range`);
    }
    // ttl 0: no expiry. A counted add refreshes the TTL (an idle counter is one nobody adds to).
    this.counts.set(key, next, { ttl: ttlSeconds === null ? 0 : ttlSeconds * 1000 });
    if (dedupe) this.mark(dedupe.key, dedupe.ttlMs);
    return { count: next, outcome: 'applied' };
  }

  async get(refs: CounterRef[]): Promise<bigint[]> {
    // A read counts as use (a counter read often is not the first dropped), but does not
    // refresh its TTL: only adds do.
    return refs.map((r) => this.counts.get(counterKey(r)) ?? 0n);
  }

  async clear({ ref, clearUs, watermarkTtlMs, dedupe }: BestEffortClear): Promise<BestEffortClearResult> {
    const key = counterKey(ref);
    const current = (): bigint => this.counts.get(key) ?? 0n;
    if (dedupe && this.seen.get(dedupe.key)) return { count: current(), outcome: 'duplicate' };
    if (dedupe) this.mark(dedupe.key, dedupe.ttlMs);
    const wm = this.watermarks.get(key);
    // A clear at or before the newest one is already covered by it.
    if (wm !== undefined && clearUs <= wm) return { count: current(), outcome: 'applied' };
    const kept = wm === undefined ? 0 : this.watermarks.getRemainingTTL(key);
    this.watermarks.set(key, clearUs, { ttl: Math.max(1, Math.ceil(Math.max(kept, watermarkTtlMs))) });
    this.counts.delete(key);
    return { count: 0n, outcome: 'applied' };
  }

  /** Counters, watermarks (by counter key) and dedupe records (keys that start with the namespace, see counters/bestEffort.ts). */
  async clearNamespace(namespace: string): Promise<number> {
    return dropPrefixed(`${namespace}\u0000`, this.counts, this.watermarks, this.seen);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private mark(key: string, ttlMs: number): void {
    this.seen.set(key, true, { ttl: Math.max(1, Math.ceil(ttlMs)) });
  }

  private sweep(): void {
    this.counts.purgeStale();
    this.seen.purgeStale();
    this.watermarks.purgeStale();
  }
}

/** Deletes the entries whose key starts with prefix from each cache; returns how many. */
export function dropPrefixed(prefix: string, ...caches: { keys(): Iterable<string>; delete(key: string): unknown }[]): number {
  let n = 0;
  for (const c of caches) {
    for (const key of [...c.keys()]) {
      if (key.startsWith(prefix)) {
        c.delete(key);
        n++;
      }
    }
  }
  return n;
}
