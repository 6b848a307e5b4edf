import { LRUCache } from 'lru-cache';
import { counterKey, type CounterRef } from '../../model';
import type { ConvergedCache, ConvergedUpdate, ConvergedUpdateResult } from '../types';
import { getMany, pipelinePerKey, type RedisClient } from './client';
import { counterTag, namespacePattern, unlinkMatching } from './keys';
import { defineScripts } from './scripts';

/** convergedSet.lua: 1 when the stored value changed, else 0. */
interface Scripts {
  convergedSet(key: string, asOfMs: string, value: string, ttlMs: string): Promise<number>;
}

/**
 * The converged count of EVENTUAL counters, shared by every instance. Each entry is one
 * string holding asOf and value together, replaced by a Lua script (convergedSet.lua) only
 * by a value at least as new, so two instances rolling up the same counter can never leave
 * the older value behind. One script per counter (pipelined, per node on a Redis Cluster)
 * rather than one script over many keys keeps it valid on a cluster. Entries expire (ttlMs) so idle counters do not
 * hold memory: a missing entry is recomputed from the store on its next read.
 */
export class RedisConvergedCache implements ConvergedCache {
  private readonly scripts: Scripts;
  /**
   * Counters whose last value this process failed to store (Redis away or hung): the entry
   * Redis holds for them may be older than a roll-up this process already made, and the
   * roll-up will not run again for a mere read (the sidecar knows it rolled the counter up).
   * They read as misses, so the caller computes them from the store and stores them again,
   * until a store succeeds. Bounded: past it the oldest marks go (a stale read until the
   * counter's next write, as before this mark existed).
   */
  private readonly unsynced = new LRUCache<string, true>({ max: 100_000 });
  /** Until when calls skip Redis after a failure (0: they do not). */
  private downUntil = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix = 'counters:',
    private readonly ttlMs = 24 * 3600 * 1000,
    /** Called when Redis fails; the cache then degrades instead of failing the caller. */
    private readonly onError: (err: unknown) => void = () => {},
    /** After a failure, how long calls skip Redis (see `skipping`). */
    private readonly retryAfterMs = 1000,
  ) {
    defineScripts(redis, { convergedSet: { file: 'convergedSet.lua', numberOfKeys: 1 } });
    this.scripts = redis as unknown as Scripts;
  }

  /** `ru:` ("roll-up", this cache's former name) is kept: deployed entries stay readable. */
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
    if (this.skipping()) return refs.map(() => undefined);
    const values = await getMany(this.redis, refs.map((r) => this.key(r)));
    // a counter Redis did not answer for (Redis away; on a cluster, its master down) is a miss
    const failure = values.find((v) => v instanceof Error);
    if (failure === undefined) this.downUntil = 0;
    else this.failed(failure);
    return values.map((v, i) =>
      v === null || v instanceof Error || (this.unsynced.size > 0 && this.unsynced.has(counterKey(refs[i]!)))
        ? undefined
        : BigInt(v.slice(v.indexOf(':') + 1)),
    );
  }

  /**
   * While Redis cannot be reached nothing is stored and every entry reports "changed", so
   * the roll-up still publishes each converged value (harmless repeats at worst).
   */
  async setMany({ entries, asOfMs }: ConvergedUpdate): Promise<ConvergedUpdateResult> {
    if (entries.length === 0) return { changed: [] };
    if (this.skipping()) {
      for (const { ref } of entries) this.unsynced.set(counterKey(ref), true);
      return { changed: entries.map(() => true) };
    }
    const asOf = String(Math.floor(asOfMs));
    const keys = entries.map(({ ref }) => this.key(ref));
    let res: [Error | null, unknown][];
    try {
      res = await pipelinePerKey(this.redis, keys, (p, i) => {
        void (p as unknown as Scripts).convergedSet(keys[i]!, asOf, entries[i]!.value.toString(), String(this.ttlMs));
      });
    } catch (err) {
      this.failed(err);
      for (const { ref } of entries) this.unsynced.set(counterKey(ref), true);
      return { changed: entries.map(() => true) };
    }
    this.downUntil = 0;
    const changed = entries.map(({ ref }, i) => {
      const [err, r] = res[i] ?? [new Error('no reply'), null];
      if (err) {
        this.failed(err);
        this.unsynced.set(counterKey(ref), true);
        return true;
      }
      this.unsynced.delete(counterKey(ref));
      return r === 1;
    });
    return { changed };
  }

  /** Every entry of the namespace (SCAN MATCH + UNLINK); unlike reads, a failure here fails the call (the removal retries). */
  async clearNamespace(namespace: string): Promise<number> {
    const prefix = `${namespace}\u0000`;
    for (const key of [...this.unsynced.keys()]) if (key.startsWith(prefix)) this.unsynced.delete(key);
    return unlinkMatching(this.redis, [namespacePattern(this.prefix, 'ru', namespace)]);
  }

  /**
   * Whether this call skips Redis: for retryAfterMs after a failure, calls answer at once as
   * if Redis had failed them, so that while Redis hangs each EVENTUAL read and each roll-up
   * does not wait out a command timeout first. When the time is up one call goes to Redis
   * (the others keep skipping while it runs); its success ends the skipping.
   */
  private skipping(): boolean {
    if (this.downUntil === 0) return false;
    const now = Date.now();
    if (now < this.downUntil) return true;
    this.downUntil = now + this.retryAfterMs; // this call probes
    return false;
  }

  private failed(err: unknown): void {
    this.downUntil = Date.now() + this.retryAfterMs;
    this.onError(err);
  }

  /** The Redis connection is shared and owned by the backends factory, which quits it. */
  async close(): Promise<void> {}
}
