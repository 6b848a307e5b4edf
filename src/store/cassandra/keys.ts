import type { CounterEvent } from '../../model';
import { keyShard, US_PER_S } from './layout';
import type { CqlSession } from './session';
import { named } from './tracker';

/** Keys one lookup asks for at most (a single-partition `IN` on the clustering key). */
const MAX_KEYS_PER_LOOKUP = 100;

const LOOKUP = named('key lookup', 'SELECT key FROM event_keys WHERE namespace = ? AND second = ? AND shard = ? AND key IN ?');
const INSERT = named('key insert', 'INSERT INTO event_keys (namespace, second, shard, key) VALUES (?, ?, ?, ?) USING TTL ?');

interface Waiter {
  resolve: (found: boolean) => void;
  reject: (err: unknown) => void;
}

/** The `event_keys` partition of an event (see ./schema.ts) and its key in it. */
function locate(e: CounterEvent): { namespace: string; second: bigint; shard: number; key: string } {
  const key = `${e.name}\u0000${e.timeUs}\u0000${e.eventId}`;
  return { namespace: e.namespace, second: BigInt(Math.floor(e.timeUs / US_PER_S)), shard: keyShard(key), key };
}

/**
 * What `applied` is answered from: the `event_keys` table, the idempotency keys of recent
 * events partitioned by namespace, second of the event time and shard. The lookups queued
 * during one turn of the event loop (the items of a bulk request, concurrent requests) are
 * grouped by partition: one single-partition query answers up to 100 of them, where a
 * lookup of the event row itself costs one query per event (each counter is a partition of
 * its own). The key row is written with the event row (./append.ts), so a LOCAL_QUORUM
 * lookup sees the key of every acknowledged write.
 */
export class EventKeys {
  private queued = new Map<string, { params: [string, bigint, number]; keys: Map<string, Waiter> }>();
  private scheduled = false;

  constructor(private readonly cql: CqlSession) {}

  /** Whether the event's key is stored (its write, or a part of it, was seen before). */
  has(e: CounterEvent): Promise<boolean> {
    const { namespace, second, shard, key } = locate(e);
    const pk = `${namespace}\u0000${second}\u0000${shard}`;
    let g = this.queued.get(pk);
    if (!g) this.queued.set(pk, (g = { params: [namespace, second, shard], keys: new Map() }));
    const group = g;
    return new Promise<boolean>((resolve, reject) => {
      group.keys.set(key, { resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** The statement that stores the event's key, for the batch of the event row. */
  insert(e: CounterEvent, ttlSeconds: number): [string, unknown[]] {
    const { namespace, second, shard, key } = locate(e);
    return [INSERT, [namespace, second, shard, key, ttlSeconds]];
  }

  private flush(): void {
    this.scheduled = false;
    const groups = this.queued;
    this.queued = new Map();
    for (const { params, keys } of groups.values()) {
      const all = [...keys.keys()];
      for (let i = 0; i < all.length; i += MAX_KEYS_PER_LOOKUP) void this.lookup(params, all.slice(i, i + MAX_KEYS_PER_LOOKUP), keys);
    }
  }

  private async lookup(params: [string, bigint, number], keys: string[], waiters: Map<string, Waiter>): Promise<void> {
    try {
      const r = await this.cql.read(LOOKUP, [...params, keys], {}, 'urgent');
      const found = new Set(r.rows.map((row) => row['key'] as string));
      for (const k of keys) waiters.get(k)!.resolve(found.has(k));
    } catch (err) {
      for (const k of keys) waiters.get(k)!.reject(err);
    }
  }
}
