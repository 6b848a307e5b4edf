import type { CounterRef } from '../../model';
import { sameSlotBatches, scanTargets, type RedisClient } from './client';

/**
 * Redis key naming shared by the Redis backends. A counter's part is length-prefixed
 * (`<nsLen>:<ns>:<name>`) so no namespace/name pair can collide with another, and wrapped in
 * a hash tag `{...}` so that a counter's value and its dedupe keys land in the same Redis
 * Cluster slot (a Lua script may only touch keys of one slot). Names never contain braces
 * (see validate.ts), so the tag is always the whole counter part.
 */
export const counterTag = (ref: CounterRef): string => `{${ref.namespace.length}:${ref.namespace}:${ref.name}}`;

/** A glob (SCAN MATCH) matching itself only: Redis' pattern characters escaped. */
const literal = (s: string): string => s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

/**
 * SCAN MATCH for every key `<prefix><kind>:` of the namespace's counters: the length prefix
 * in the tag makes `{<nsLen>:<ns>:` belong to this namespace only (no other namespace's tag
 * starts so), whatever the counter names.
 */
export const namespacePattern = (prefix: string, kind: string, namespace: string): string =>
  `${literal(`${prefix}${kind}:{${namespace.length}:${namespace}:`)}*`;

/** Keys UNLINKed per command, and asked of SCAN per call, when a namespace's keys are removed. */
const UNLINK_BATCH = 500;

/**
 * Removes every key matching the patterns: SCAN (never KEYS: it does not block Redis on a
 * large key space) and UNLINK (the memory is freed off Redis' main thread), batch by batch.
 * On a cluster every master is scanned, and each batch is unlinked slot by slot on the node
 * that listed it; a master that cannot be reached fails the call (the removal retries).
 */
export async function unlinkMatching(redis: RedisClient, patterns: string[]): Promise<number> {
  let removed = 0;
  for (const node of scanTargets(redis)) {
    for (const match of patterns) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', UNLINK_BATCH);
        cursor = next;
        for (const batch of sameSlotBatches(redis, keys)) removed += await node.unlink(...batch);
      } while (cursor !== '0');
    }
  }
  return removed;
}
