import { CounterError, ErrorCode } from '../../errors';
import type { CounterRef } from '../../model';
import type { BestEffortAdd, BestEffortAddResult, BestEffortCache, BestEffortClear, BestEffortClearResult, Dedupe } from '../types';
import { getMany, type RedisClient } from './client';
import { counterTag, namespacePattern, unlinkMatching } from './keys';
import { defineScripts } from './scripts';

/** The scripts' replies: {count as a decimal string, status} (see the .lua files). */
interface Scripts {
  counterAddAt(k1: string, k2: string, k3: string, delta: string, ttl: string, dedupeMs: string, timeUs: string): Promise<[string, number]>;
  counterClearAt(k1: string, k2: string, k3: string, dedupeMs: string, clearUs: string, keepMs: string): Promise<[string, number]>;
}

/**
 * BEST_EFFORT counters in Redis (Netflix: EVCache incr/decr), shared by every instance.
 * Each operation is one atomic Lua script (bestEffortAdd.lua, bestEffortClear.lua): INCRBY +
 * EXPIRE + the token's dedupe mark (SET PX) together, so a retry can neither double-count
 * nor slip between the check and the mark; the clear watermark (a key of its own with PX
 * expiry, in the counter's hash slot) is checked and raised in the same scripts.
 * Counts cross the wire as decimal strings (exact over 64 bits); Redis' own INCRBY overflow
 * check is the COUNT_OVERFLOW refusal, and an overflowing add changes nothing.
 */
export class RedisBestEffortCache implements BestEffortCache {
  private readonly scripts: Scripts;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix = 'counters:',
  ) {
    defineScripts(redis, {
      counterAddAt: { file: 'bestEffortAdd.lua', numberOfKeys: 3 },
      counterClearAt: { file: 'bestEffortClear.lua', numberOfKeys: 3 },
    });
    this.scripts = redis as unknown as Scripts;
  }

  private key(ref: CounterRef): string {
    return `${this.prefix}be:${counterTag(ref)}`;
  }

  private watermarkKey(ref: CounterRef): string {
    return `${this.prefix}wm:${counterTag(ref)}`;
  }

  private dedupeKey(ref: CounterRef, d: Dedupe): string {
    return `${this.prefix}dd:${counterTag(ref)}:${d.key}`;
  }

  async add({ ref, delta, timeUs, ttlSeconds, dedupe }: BestEffortAdd): Promise<BestEffortAddResult> {
    const key = this.key(ref);
    const [count, status] = await this.scripts.counterAddAt(
      key,
      dedupe ? this.dedupeKey(ref, dedupe) : key,
      this.watermarkKey(ref),
      delta.toString(),
      ttlSeconds === null ? '' : String(ttlSeconds),
      dedupe ? String(Math.max(1, Math.ceil(dedupe.ttlMs))) : '',
      String(timeUs),
    );
    if (status === -1) {
      throw new CounterError(
        ErrorCode.CountOverflow,
        `adding ${delta} to ${ref.namespace}/${ref.name} (${count}) leaves the 64-bit range`,
      );
    }
    return { count: BigInt(count), outcome: status === 1 ? 'applied' : status === 2 ? 'superseded' : 'duplicate' };
  }

  async get(refs: CounterRef[]): Promise<bigint[]> {
    if (refs.length === 0) return [];
    const values = await getMany(this.redis, refs.map((r) => this.key(r)));
    // one counter that cannot be read fails the read (UNAVAILABLE): a 0 would be a wrong count
    return values.map((v) => {
      if (v instanceof Error) throw v;
      return v === null ? 0n : BigInt(v);
    });
  }

  async clear({ ref, clearUs, watermarkTtlMs, dedupe }: BestEffortClear): Promise<BestEffortClearResult> {
    const key = this.key(ref);
    const [count, status] = await this.scripts.counterClearAt(
      key,
      dedupe ? this.dedupeKey(ref, dedupe) : key,
      this.watermarkKey(ref),
      dedupe ? String(Math.max(1, Math.ceil(dedupe.ttlMs))) : '',
      String(clearUs),
      String(Math.max(1, Math.ceil(watermarkTtlMs))),
    );
    return { count: BigInt(count), outcome: status === 1 ? 'applied' : 'duplicate' };
  }

  /** The namespace's counters, clear watermarks and dedupe marks (SCAN MATCH + UNLINK). */
  clearNamespace(namespace: string): Promise<number> {
    return unlinkMatching(
      this.redis,
      ['be', 'wm', 'dd'].map((kind) => namespacePattern(this.prefix, kind, namespace)),
    );
  }

  /** The Redis connection is shared and owned by the backends factory, which quits it. */
  async close(): Promise<void> {}
}
