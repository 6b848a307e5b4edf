import type { Redis } from 'ioredis';
import { CounterError, ErrorCode } from '../errors';
import type { CounterRef } from '../model';
import { counterTag } from './redisKeys';
import type { BestEffortCache, Dedupe } from './types';

/**
 * KEYS[1] counter, KEYS[2] dedupe key (the counter key again when there is none);
 * ARGV[1] delta (decimal string), ARGV[2] TTL seconds or '' (no TTL), ARGV[3] dedupe TTL ms or ''.
 * Returns {count as string, 1 applied | 0 duplicate | -1 overflow}.
 *
 * The count is read back with GET rather than taken from INCRBY's reply: Lua turns integer
 * replies into doubles, which would round counts past 2^53.
 */
const ADD_LUA = `
if ARGV[3] ~= '' and redis.call('EXISTS', KEYS[2]) == 1 then
  return {redis.call('GET', KEYS[1]) or '0', 0}
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

/** KEYS[1] counter, KEYS[2] dedupe key; ARGV[1] dedupe TTL ms or ''. Returns 1 applied, 0 duplicate. */
const CLEAR_LUA = `
if ARGV[1] ~= '' then
  if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
end
redis.call('DEL', KEYS[1])
return 1
`;

interface Scripts {
  counterAdd(k1: string, k2: string, delta: string, ttl: string, dedupeMs: string): Promise<[string, number]>;
  counterClear(k1: string, k2: string, dedupeMs: string): Promise<number>;
}

/**
 * BEST_EFFORT counters in Redis (Netflix: EVCache incr/decr), shared by every instance.
 * Each operation is one atomic Lua script: INCRBY + EXPIRE + the token's dedupe mark (SET PX)
 * together, so a retry can neither double-count nor slip between the check and the mark.
 * Counts cross the wire as decimal strings (exact over 64 bits); Redis' own INCRBY overflow
 * check is the COUNT_OVERFLOW refusal, and an overflowing add changes nothing.
 */
export class RedisBestEffortCache implements BestEffortCache {
  private readonly scripts: Scripts;

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'counters:',
  ) {
    if (!('counterAdd' in redis)) {
      redis.defineCommand('counterAdd', { numberOfKeys: 2, lua: ADD_LUA });
      redis.defineCommand('counterClear', { numberOfKeys: 2, lua: CLEAR_LUA });
    }
    this.scripts = redis as unknown as Scripts;
  }

  private key(ref: CounterRef): string {
    return `${this.prefix}be:${counterTag(ref)}`;
  }

  private dedupeKey(ref: CounterRef, d: Dedupe): string {
    return `${this.prefix}dd:${counterTag(ref)}:${d.key}`;
  }

  async add(ref: CounterRef, delta: bigint, ttlSeconds: number | null, dedupe: Dedupe | null) {
    const key = this.key(ref);
    const [count, status] = await this.scripts.counterAdd(
      key,
      dedupe ? this.dedupeKey(ref, dedupe) : key,
      delta.toString(),
      ttlSeconds === null ? '' : String(ttlSeconds),
      dedupe ? String(Math.max(1, Math.ceil(dedupe.ttlMs))) : '',
    );
    if (status === -1) {
      throw new CounterError(
        ErrorCode.CountOverflow,
        `adding ${delta} to ${ref.namespace}/${ref.name} (${count}) leaves the 64-bit range`,
      );
    }
    return { count: BigInt(count), applied: status === 1 };
  }

  async get(refs: CounterRef[]): Promise<bigint[]> {
    if (refs.length === 0) return [];
    const values = await this.redis.mget(refs.map((r) => this.key(r)));
    return values.map((v) => (v === null ? 0n : BigInt(v)));
  }

  async clear(ref: CounterRef, dedupe: Dedupe | null) {
    const key = this.key(ref);
    const r = await this.scripts.counterClear(
      key,
      dedupe ? this.dedupeKey(ref, dedupe) : key,
      dedupe ? String(Math.max(1, Math.ceil(dedupe.ttlMs))) : '',
    );
    return { applied: r === 1 };
  }

  /** The Redis connection is shared and owned by the backends factory, which quits it. */
  async close(): Promise<void> {}
}
