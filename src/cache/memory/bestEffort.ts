import { CounterError, ErrorCode } from '../../errors';
import { counterKey, inInt64, type CounterRef } from '../../model';
import type { BestEffortAdd, BestEffortAddResult, BestEffortCache, BestEffortClear, BestEffortClearResult } from '../types';
import { ExpiringMap } from './expiringMap';

/**
 * BEST_EFFORT counters in this process's memory. Expired entries are dropped on access and
 * by a periodic sweep, so idle counters do not hold memory past their TTL; clear watermarks
 * and dedupe keys likewise past theirs. (See BestEffortCache for the watermark and its limit.)
 */
export class MemoryBestEffortCache implements BestEffortCache {
  private readonly counts = new ExpiringMap<bigint>();
  private readonly seen = new ExpiringMap<true>(); // dedupe keys
  private readonly watermarks = new ExpiringMap<number>(); // counter key -> newest clear time (µs)
  private readonly sweeper: NodeJS.Timeout;

  constructor(sweepMs = 5000) {
    this.sweeper = setInterval(() => this.sweep(Date.now()), sweepMs);
    this.sweeper.unref();
  }

  async add({ ref, delta, timeUs, ttlSeconds, dedupe }: BestEffortAdd): Promise<BestEffortAddResult> {
    const now = Date.now();
    const key = counterKey(ref);
    const current = this.counts.get(key, now) ?? 0n;
    if (dedupe && this.seen.get(dedupe.key, now)) return { count: current, outcome: 'duplicate' };
    const wm = this.watermarks.get(key, now);
    if (wm !== undefined && timeUs <= wm) {
      if (dedupe) this.seen.set(dedupe.key, true, now + dedupe.ttlMs);
      return { count: current, outcome: 'superseded' };
    }
    const next = current + delta;
    if (!inInt64(next)) {
      throw new CounterError(ErrorCode.CountOverflow, `adding ${delta} to ${ref.namespace}/${ref.name} (${current}) leaves the 64-bit range`);
    }
    this.counts.set(key, next, ttlSeconds === null ? Infinity : now + ttlSeconds * 1000);
    if (dedupe) this.seen.set(dedupe.key, true, now + dedupe.ttlMs);
    return { count: next, outcome: 'applied' };
  }

  async get(refs: CounterRef[]): Promise<bigint[]> {
    const now = Date.now();
    return refs.map((r) => this.counts.get(counterKey(r), now) ?? 0n);
  }

  async clear({ ref, clearUs, watermarkTtlMs, dedupe }: BestEffortClear): Promise<BestEffortClearResult> {
    const now = Date.now();
    const key = counterKey(ref);
    const current = (): bigint => this.counts.get(key, now) ?? 0n;
    if (dedupe && this.seen.get(dedupe.key, now)) return { count: current(), outcome: 'duplicate' };
    if (dedupe) this.seen.set(dedupe.key, true, now + dedupe.ttlMs);
    const wm = this.watermarks.get(key, now);
    // A clear at or before the newest one is already covered by it.
    if (wm !== undefined && clearUs <= wm) return { count: current(), outcome: 'applied' };
    this.watermarks.set(key, clearUs, Math.max(this.watermarks.expiresAt(key, now) ?? 0, now + watermarkTtlMs));
    this.counts.delete(key);
    return { count: 0n, outcome: 'applied' };
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private sweep(now: number): void {
    this.counts.sweep(now);
    this.seen.sweep(now);
    this.watermarks.sweep(now);
  }
}
