import type { Redis } from 'ioredis';
import { CounterError, ErrorCode } from '../errors';
import type { CounterRef } from '../model';
import { counterTag } from './redisKeys';
import type { BestEffortCache, Dedupe } from './types';

/**
 * KEYS[1] counter, KEYS[2] dedupe key (the counter key again when there is none), KEYS[3] the
 * counter's clear watermark; ARGV[1] delta (decimal string), ARGV[2] TTL seconds or '' (no
 * TTL), ARGV[3] dedupe TTL ms or '', ARGV[4] the add's generation time in µs.
 * Returns {count as string, 1 applied | 0 duplicate | 2 superseded by a clear | -1 overflow}.
 *
 * The count is read back with GET rather than taken from INCRBY's reply: Lua turns integer
 * replies into doubles, which would round counts past 2^53. Times are compared as Lua numbers
 * (doubles), which is exact: µs since the epoch stay below 2^53 (until the year 2255).
 */
const ADD_LUA = `
if ARGV[3] ~= '' and redis.call('EXISTS', KEYS[2]) == 1 then
  return {redis.call('GET', KEYS[1]) or '0', 0}
end
local wm = redis.call('GET', KEYS[3])
if wm and tonumber(ARGV[4]) <= tonumber(wm) then
  if ARGV[3] ~= '' then redis.call('SET', KEYS[2], '1', 'PX', ARGV[3]) end
  return {redis.call('GET', KEYS[1]) or '0', 2}
end
local r = redis.pcall('INCRBY', KEYS[1], ARGV[1])
if type(r) == 'table' and r.err then
  if string.find(r.err, 'overflow', 1, true) then
    return {redis.call('GET', KEYS[1]) or '0', -1}
  end
  return redis.error_reply(r.err)
end
if ARGV[2] == '' then redis.call('PERSIST', KEYS[1]) else redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if ARGV[3] ~= '' then redis.call('SET', KEYS[2], '1', 'PX', ARGV[3]) end
return {redis.call('GET', KEYS[1]), 1}
`;

/**
 * KEYS[1] counter, KEYS[2] dedupe key, KEYS[3] clear watermark; ARGV[1] dedupe TTL ms or '',
 * ARGV[2] the clear's generation time in µs, ARGV[3] how long to keep the watermark (ms).
 * Returns {count after it as string, 1 applied | 0 duplicate}. The watermark holds the newest
 * clear time as the decimal string it was given; a clear at or before it changes nothing
 * more, a newer one raises it (its expiry never shortened) and deletes the count.
 */
const CLEAR_LUA = `
if ARGV[1] ~= '' then
  if redis.call('EXISTS', KEYS[2]) == 1 then return {redis.call('GET', KEYS[1]) or '0', 0} end
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
end
local wm = redis.call('GET', KEYS[3])
if wm and tonumber(ARGV[2]) <= tonumber(wm) then
  return {redis.call('GET', KEYS[1]) or '0', 1}
end
local keep = tonumber(ARGV[3])
local left = redis.call('PTTL', KEYS[3])
if left > keep then keep = left end
redis.call('SET', KEYS[3], ARGV[2], 'PX', keep)
redis.call('DEL', KEYS[1])
return {'0', 1}
`;

interface Scripts {
  counterAddAt(k1: string, k2: string, k3: string, delta: string, ttl: string, dedupeMs: string, timeUs: string): Promise<[string, number]>;
  counterClearAt(k1: string, k2: string, k3: string, dedupeMs: string, clearUs: string, keepMs: string): Promise<[string, number]>;
}

/**
 * BEST_EFFORT counters in Redis (Netflix: EVCache incr/decr), shared by every instance.
 * Each operation is one atomic Lua script: INCRBY + EXPIRE + the token's dedupe mark (SET PX)
 * together, so a retry can neither double-count nor slip between the check and the mark; the
 * clear watermark (a key of its own with PX expiry, in the counter's hash slot) is checked
 * and raised in the same scripts.
 * Counts cross the wire as decimal strings (exact over 64 bits); Redis' own INCRBY overflow
 * check is the COUNT_OVERFLOW refusal, and an overflowing add changes nothing.
 */
export class RedisBestEffortCache implements BestEffortCache {
  private readonly scripts: Scripts;

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'counters:',
  ) {
    if (!('counterAddAt' in redis)) {
      redis.defineCommand('counterAddAt', { numberOfKeys: 3, lua: ADD_LUA });
      redis.defineCommand('counterClearAt', { numberOfKeys: 3, lua: CLEAR_LUA });
    }
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

  async add(ref: CounterRef, delta: bigint, timeUs: number, ttlSeconds: number | null, dedupe: Dedupe | null) {
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
    if (status === 2) return { count: BigInt(count), applied: false, superseded: true as const };
    return { count: BigInt(count), applied: status === 1 };
  }

  async get(refs: CounterRef[]): Promise<bigint[]> {
    if (refs.length === 0) return [];
    const values = await this.redis.mget(refs.map((r) => this.key(r)));
    return values.map((v) => (v === null ? 0n : BigInt(v)));
  }

  async clear(ref: CounterRef, clearUs: number, watermarkTtlMs: number, dedupe: Dedupe | null) {
    const key = this.key(ref);
    const [count, status] = await this.scripts.counterClearAt(
      key,
      dedupe ? this.dedupeKey(ref, dedupe) : key,
      this.watermarkKey(ref),
      dedupe ? String(Math.max(1, Math.ceil(dedupe.ttlMs))) : '',
      String(clearUs),
      String(Math.max(1, Math.ceil(watermarkTtlMs))),
    );
    return { count: BigInt(count), applied: status === 1 };
  }

  /** The Redis connection is shared and owned by the backends factory, which quits it. */
  async close(): Promise<void> {}
}
