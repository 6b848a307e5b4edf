import { Cluster, type ChainableCommander, type Redis } from 'ioredis';
import { groupBySlot } from './slots';

/**
 * The connection the Redis caches use: one Redis (REDIS_URL) or a Redis Cluster
 * (REDIS_CLUSTER_NODES). Single-key commands and the scripts (every key of one counter
 * shares its hash tag, see keys.ts) run alike on both; what spans several counters goes
 * through the helpers below, which split it by slot on a cluster.
 */
export type RedisClient = Redis | Cluster;

export const isCluster = (r: RedisClient): r is Cluster => r instanceof Cluster;

/**
 * The node (host:port) that serves each slot group, as the cluster client last learnt it
 * ('' when it does not know yet: those go together and ioredis routes them).
 */
function byNode(cluster: Cluster, slots: Iterable<number>): Map<string, number[]> {
  const nodes = new Map<string, number[]>();
  for (const slot of slots) {
    const node = cluster.slots[slot]?.[0] ?? '';
    const g = nodes.get(node);
    if (g === undefined) nodes.set(node, [slot]);
    else g.push(slot);
  }
  return nodes;
}

/**
 * GET of many keys, each answer in its key's place: its value, null when there is none, or
 * the error of the node that could not answer it. One MGET on one Redis; on a cluster one
 * MGET per slot (a cluster refuses a command over several slots), pipelined per node, the
 * nodes asked at once: a node that is down fails its own keys only.
 */
export async function getMany(redis: RedisClient, keys: string[]): Promise<(string | null | Error)[]> {
  if (!isCluster(redis)) {
    try {
      return await redis.mget(keys);
    } catch (err) {
      return keys.map(() => asError(err));
    }
  }
  const out: (string | null | Error)[] = new Array(keys.length).fill(null);
  const slots = groupBySlot(keys);
  await Promise.all(
    [...byNode(redis, slots.keys()).values()].map(async (nodeSlots) => {
      const p = redis.pipeline();
      for (const slot of nodeSlots) p.mget(slots.get(slot)!.map((i) => keys[i]!));
      let res: [Error | null, unknown][];
      try {
        res = (await p.exec()) ?? [];
      } catch (err) {
        res = nodeSlots.map(() => [asError(err), null]);
      }
      nodeSlots.forEach((slot, j) => {
        const [err, values] = res[j] ?? [new Error('no reply'), null];
        slots.get(slot)!.forEach((keyIndex, k) => (out[keyIndex] = err ?? (values as (string | null)[])[k] ?? null));
      });
    }),
  );
  return out;
}

/**
 * One command per key (`add(pipeline, i)` queues the one of keys[i], on that key alone),
 * pipelined: one pipeline on one Redis (a failure of it rejects), one per node on a cluster
 * (a node that fails answers an error in each of its places). Replies in the keys' order.
 */
export async function pipelinePerKey(
  redis: RedisClient,
  keys: string[],
  add: (p: ChainableCommander, i: number) => void,
): Promise<[Error | null, unknown][]> {
  if (!isCluster(redis)) {
    const p = redis.pipeline();
    keys.forEach((_, i) => add(p, i));
    return (await p.exec()) ?? [];
  }
  const out: [Error | null, unknown][] = keys.map(() => [new Error('no reply'), null]);
  const bySlot = groupBySlot(keys);
  await Promise.all(
    [...byNode(redis, bySlot.keys()).values()].map(async (nodeSlots) => {
      const positions = nodeSlots.flatMap((slot) => bySlot.get(slot)!);
      const p = redis.pipeline();
      for (const i of positions) add(p, i);
      let res: [Error | null, unknown][];
      try {
        res = (await p.exec()) ?? [];
      } catch (err) {
        res = positions.map(() => [asError(err), null]);
      }
      positions.forEach((i, j) => (out[i] = res[j] ?? [new Error('no reply'), null]));
    }),
  );
  return out;
}

/**
 * The connections to scan when every key must be seen: the one Redis, or each master that
 * serves a slot. A slot whose master this client holds no connection to fails the call (its
 * keys cannot be listed), rather than skipping keys that survive.
 */
export function scanTargets(redis: RedisClient): Redis[] {
  if (!isCluster(redis)) return [redis];
  const owners = new Set<string>();
  for (let slot = 0; slot < redis.slots.length; slot++) {
    const node = redis.slots[slot]?.[0];
    if (node !== undefined) owners.add(node);
  }
  const conns = new Map(redis.nodes('master').map((n) => [`${n.options.host}:${n.options.port}`, n]));
  return [...owners].map((key) => {
    const conn = conns.get(key);
    if (conn === undefined) throw new Error(`no connection to Redis Cluster node ${key}`);
    return conn;
  });
}

/** Keys of one node grouped so that each group is one slot (a multi-key command on a cluster). */
export const sameSlotBatches = (redis: RedisClient, keys: string[]): string[][] =>
  isCluster(redis) ? [...groupBySlot(keys).values()].map((g) => g.map((i) => keys[i]!)) : keys.length > 0 ? [keys] : [];

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
