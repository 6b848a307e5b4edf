import type { Redis } from 'ioredis';
import type { CounterRef } from '../model';
import { counterTag } from './redisKeys';
import type { RollupCache } from './types';

/**
 * KEYS[1] the counter's entry, stored as one string "<asOfMs>:<value>";
 * ARGV[1] asOfMs, ARGV[2] value (decimal string), ARGV[3] TTL ms (0 = none).
 * Returns 1 when the stored value changed, 0 otherwise (older asOf, or same value).
 * A newer asOf wins; an equal one overwrites (like the memory cache).
 */
const SET_LUA = `
local cur = redis.call('GET', KEYS[1])
local prev = nil
if cur then
  local sep = string.find(cur, ':', 1, true)
  if tonumber(string.sub(cur, 1, sep - 1)) > tonumber(ARGV[1]) then return 0 end
  prev = string.sub(cur, sep + 1)
end
if ARGV[3] == '0' then
  redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[2], 'PX', ARGV[3])
end
if prev == ARGV[2] then return 0 end
return 1
`;

interface Scripts {
  rollupSet(key: string, asOfMs: string, value: string, ttlMs: string): Promise<number>;
}

/**
 * The last rolled-up value of EVENTUAL counters, shared by every instance. Each entry is one
 * string holding asOf and value together, replaced by a Lua script only by a value at least
 * as new, so two instances rolling up the same counter can never leave the older value
 * behind. One script per counter (pipelined) rather than one script over many keys keeps it
 * valid on Redis Cluster. Entries expire (ttlMs) so idle counters do not hold memory: a
 * missing entry is recomputed from the store on its next read.
 */
export class RedisRollupCache implements RollupCache {
  private readonly scripts: Scripts;

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'counters:',
    private readonly ttlMs = 24 * 3600 * 1000,
    /** Called when Redis fails; the cache then degrades instead of failing the caller. */
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    if (!('rollupSet' in redis)) redis.defineCommand('rollupSet', { numberOfKeys: 1, lua: SET_LUA });
    this.scripts = redis as unknown as Scripts;
  }

  private key(ref: CounterRef): string {
    return `${this.prefix}ru:${counterTag(ref)}`;
  }

  /**
   * A cache miss is always safe (the caller computes the value from the store), so while
   * Redis cannot be reached every counter reads as a miss: EVENTUAL reads keep being served
   * from the store instead of failing.
   */
  async get(refs: CounterRef[]): Promise<(bigint | undefined)[]> {
    if (refs.length === 0) return [];
    let values: (string | null)[];
    try {
      values = await this.redis.mget(refs.map((r) => this.key(r)));
    } catch (err) {
      this.onError(err);
      return refs.map(() => undefined);
    }
    return values.map((v) => (v === null ? undefined : BigInt(v.slice(v.indexOf(':') + 1))));
  }

  /**
   * While Redis cannot be reached nothing is stored and every entry reports "changed", so
   * the roll-up still publishes each converged value (harmless repeats at worst).
   */
  async setMany(entries: { ref: CounterRef; value: bigint }[], asOfMs: number): Promise<boolean[]> {
    if (entries.length === 0) return [];
    const p = this.redis.pipeline() as unknown as Scripts & { exec(): Promise<[Error | null, unknown][] | null> };
    const asOf = String(Math.floor(asOfMs));
    for (const { ref, value } of entries) void p.rollupSet(this.key(ref), asOf, value.toString(), String(this.ttlMs));
    let res: [Error | null, unknown][];
    try {
      res = (await p.exec()) ?? [];
    } catch (err) {
      this.onError(err);
      return entries.map(() => true);
    }
    return entries.map((_, i) => {
      const [err, r] = res[i] ?? [new Error('no reply'), null];
      if (err) {
        this.onError(err);
        return true;
      }
      return r === 1;
    });
  }

  /** The Redis connection is shared and owned by the backends factory, which quits it. */
  async close(): Promise<void> {}
}
