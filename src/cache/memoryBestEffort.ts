import { CounterError, ErrorCode } from '../errors';
import { counterKey, inInt64, type CounterRef } from '../model';
import type { BestEffortCache, Dedupe } from './types';

interface Entry {
  count: bigint;
  expiresAt: number; // ms; Infinity without TTL
}

interface Watermark {
  us: number; // newest clear time, µs
  expiresAt: number; // ms
}

/**
 * BEST_EFFORT counters in this process's memory. Expired entries are dropped on access and
 * by a periodic sweep, so idle counters do not hold memory past their TTL; clear watermarks
 * and dedupe keys likewise past theirs. (See BestEffortCache for the watermark and its limit.)
 */
export class MemoryBestEffortCache implements BestEffortCache {
  private readonly counts = new Map<string, Entry>();
  private readonly seen = new Map<string, number>(); // dedupe key -> expiry ms
  private readonly watermarks = new Map<string, Watermark>(); // counter key -> newest clear
  private readonly sweeper: NodeJS.Timeout;

  constructor(sweepMs = 5000) {
    this.sweeper = setInterval(() => this.sweep(Date.now()), sweepMs);
    this.sweeper.unref();
  }

  async add(ref: CounterRef, delta: bigint, timeUs: number, ttlSeconds: number | null, dedupe: Dedupe | null) {
    const now = Date.now();
    const key = counterKey(ref);
    const current = this.live(key, now);
    if (dedupe && this.isSeen(dedupe.key, now)) return { count: current?.count ?? 0n, applied: false };
    const wm = this.watermark(key, now);
    if (wm !== undefined && timeUs <= wm.us) {
      if (dedupe) this.seen.set(dedupe.key, now + dedupe.ttlMs);
      return { count: current?.count ?? 0n, applied: false, superseded: true as const };
    }
    const next = (current?.count ?? 0n) + delta;
    if (!inInt64(next)) {
      throw new CounterError(ErrorCode.CountOverflow, `adding ${delta} to ${ref.namespace}/${ref.name} (${current?.count ?? 0n}) leaves the 64-bit range`);
    }
    this.counts.set(key, { count: next, expiresAt: ttlSeconds === null ? Infinity : now + ttlSeconds * 1000 });
    if (dedupe) this.seen.set(dedupe.key, now + dedupe.ttlMs);
    return { count: next, applied: true };
  }

  async get(refs: CounterRef[]): Promise<bigint[]> {
    const now = Date.now();
    return refs.map((r) => this.live(counterKey(r), now)?.count ?? 0n);
  }

  async clear(ref: CounterRef, clearUs: number, watermarkTtlMs: number, dedupe: Dedupe | null) {
    const now = Date.now();
    const key = counterKey(ref);
    const current = (): bigint => this.live(key, now)?.count ?? 0n;
    if (dedupe && this.isSeen(dedupe.key, now)) return { count: current(), applied: false };
    if (dedupe) this.seen.set(dedupe.key, now + dedupe.ttlMs);
    const wm = this.watermark(key, now);
    // A clear at or before the newest one is already covered by it.
    if (wm !== undefined && clearUs <= wm.us) return { count: current(), applied: true };
    this.watermarks.set(key, { us: clearUs, expiresAt: Math.max(wm?.expiresAt ?? 0, now + watermarkTtlMs) });
    this.counts.delete(key);
    return { count: 0n, applied: true };
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private live(key: string, now: number): Entry | undefined {
    const e = this.counts.get(key);
    if (e && e.expiresAt <= now) {
      this.counts.delete(key);
      return undefined;
    }
    return e;
  }

  private watermark(key: string, now: number): Watermark | undefined {
    const w = this.watermarks.get(key);
    if (w && w.expiresAt <= now) {
      this.watermarks.delete(key);
      return undefined;
    }
    return w;
  }

  private isSeen(key: string, now: number): boolean {
    const exp = this.seen.get(key);
    return exp !== undefined && exp > now;
  }

  private sweep(now: number): void {
    for (const [k, e] of this.counts) if (e.expiresAt <= now) this.counts.delete(k);
    for (const [k, exp] of this.seen) if (exp <= now) this.seen.delete(k);
    for (const [k, w] of this.watermarks) if (w.expiresAt <= now) this.watermarks.delete(k);
  }
}
