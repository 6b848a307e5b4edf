import type { CounterEvent } from '../../model';
import { keyShard, US_PER_S } from './layout';
import { TurnGrouper } from './grouper';
import { ReplicaGroups } from './replicas';
import type { CqlSession } from './session';
import { named } from './tracker';

/** Keys one lookup asks for at most (`key IN ?`, over the shards of their second that they fall into). */
const MAX_KEYS_PER_LOOKUP = 100;
/**
 * Bound on shards x keys of one lookup: Cassandra looks every key up in every shard named
 * (a cartesian product), so a shard with many keys gets lookups of its own, and only the
 * few keys of several shards share one.
 */
const MAX_CELLS_PER_LOOKUP = 256;

/**
 * Chunks of keys for the lookups: full chunks of one shard, then the rest of each shard
 * merged while shards x keys stays within MAX_CELLS_PER_LOOKUP.
 */
export function lookupChunks(keys: string[], max: number): string[][] {
  const byShard = new Map<number, string[]>();
  for (const k of keys) {
    const s = keyShard(k);
    const list = byShard.get(s);
    if (list) list.push(k);
    else byShard.set(s, [k]);
  }
  const out: string[][] = [];
  let merged: string[] = [];
  let shards = 0;
  for (const list of byShard.values()) {
    let i = 0;
    for (; list.length - i >= max; i += max) out.push(list.slice(i, i + max));
    const rest = list.slice(i);
    if (rest.length === 0) continue;
    if (merged.length > 0 && (merged.length + rest.length > max || (shards + 1) * (merged.length + rest.length) > MAX_CELLS_PER_LOOKUP)) {
      out.push(merged);
      merged = [];
      shards = 0;
    }
    merged.push(...rest);
    shards++;
  }
  if (merged.length > 0) out.push(merged);
  return out;
}

const LOOKUP = named('key lookup', 'SELECT key FROM event_keys WHERE namespace = ? AND second = ? AND shard IN ? AND key IN ?');
const INSERT = named('key insert', 'INSERT INTO event_keys (namespace, second, shard, key) VALUES (?, ?, ?, ?) USING TTL ?');

/** The `event_keys` partition of an event (see ./schema.ts) and its key in it. */
function locate(e: CounterEvent): { namespace: string; second: bigint; shard: number; key: string } {
  const key = `${e.name}\u0000${e.timeUs}\u0000${e.eventId}`;
  return { namespace: e.namespace, second: BigInt(Math.floor(e.timeUs / US_PER_S)), shard: keyShard(key), key };
}

/**
 * What `applied` is answered from: the `event_keys` table, the idempotency keys of recent
 * events partitioned by namespace, second of the event time and shard. The lookups queued
 * during one turn of the event loop (the items of a bulk request, concurrent requests) are
 * grouped by namespace, second and replica (./grouper.ts): one query (`shard IN ? AND key
 * IN ?`) answers up to 100 of them over the shards of that second (see lookupChunks), where a lookup of the
 * event row itself costs one query per event (each counter is a partition of its own). The
 * key row is written with the event row (./append.ts), so a LOCAL_QUORUM lookup sees the key
 * of every acknowledged write.
 */
export class EventKeys {
  private readonly lookups: TurnGrouper<{ namespace: string; second: bigint; routingKey: Buffer | undefined }, string, boolean>;
  private readonly replicas: ReplicaGroups;

  constructor(private readonly cql: CqlSession) {
    this.replicas = new ReplicaGroups(cql.client);
    this.lookups = new TurnGrouper(async ({ namespace, second, routingKey }, keys) => {
      const shards = [...new Set(keys.map(keyShard))];
      const r = await this.cql.read(LOOKUP, [namespace, second, shards, keys], routingKey ? { routingKey } : {}, 'urgent', shards.length);
      const found = new Set(r.rows.map((row) => row['key'] as string));
      return keys.map((k) => found.has(k));
    }, MAX_KEYS_PER_LOOKUP, lookupChunks);
  }

  /** Whether the event's key is stored (its write, or a part of it, was seen before). */
  has(e: CounterEvent): Promise<boolean> {
    const { namespace, second, shard, key } = locate(e);
    const { group, routingKey } = this.replicas.of([namespace, second, shard]);
    return this.lookups.add(`${namespace}\u0000${second}\u0000${group}`, { namespace, second, routingKey }, key);
  }

  /** The statement that stores the event's key, for the batch of the event row. */
  insert(e: CounterEvent, ttlSeconds: number): [string, unknown[]] {
    const { namespace, second, shard, key } = locate(e);
    return [INSERT, [namespace, second, shard, key, ttlSeconds]];
  }
}
