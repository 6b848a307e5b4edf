/** Domain types shared by the resolvers, the counter service, the stores and the roll-up. */

export type CounterMode = 'BEST_EFFORT' | 'EVENTUAL' | 'ACCURATE';
export const COUNTER_MODES: readonly CounterMode[] = ['BEST_EFFORT', 'EVENTUAL', 'ACCURATE'];

export interface NamespaceConfig {
  name: string;
  mode: CounterMode;
  ttlSeconds: number | null;
  retentionSeconds: number;
  acceptLimitMs: number;
}

export interface CounterRef {
  namespace: string;
  name: string;
}

/** One key string per counter: used for maps, queues, loaders and the XXHash route. */
export const counterKey = (ref: CounterRef): string => `${ref.namespace}\u0000${ref.name}`;

/**
 * What resolvers pass around for a `Counter`. `count` is set when the operation already
 * knows it (addAndGetCount, subscriptions); otherwise the `count` field loads it through the
 * request's DataLoader, so a selection without `count` costs no store read.
 */
export interface CounterModel extends CounterRef {
  mode: CounterMode;
  count?: bigint;
}

/** A counter of a namespace, its name checked; `count` left for the loader unless given. */
export const counterOf = (ns: NamespaceConfig, name: string, count?: bigint): CounterModel =>
  count === undefined ? { namespace: ns.name, name, mode: ns.mode } : { namespace: ns.name, name, mode: ns.mode, count };

export type NamespaceModel = NamespaceConfig;

/** Items grouped by a key, groups in first-seen order, items in input order. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const g = groups.get(k);
    if (g) g.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** `applied` is undefined when the operation did not select it (the store did not look). */
export interface AddCountPayloadModel {
  counter: CounterModel;
  applied: boolean | undefined;
}

export interface AddCountsItemModel {
  index: number;
  counter: CounterModel | null;
  applied: boolean | undefined;
  error: { code: string; message: string } | null;
}

/**
 * addCounts' outcome per item in input order (a result, or the item's refusal); the
 * `items` objects are made only when a client selects them (most bulk writers ask for the
 * counts alone: 200 objects per request the gc then collects).
 */
export interface AddCountsPayloadModel {
  outcomes: ({ counter: CounterModel; applied: boolean | undefined } | { code: string; message: string; failed: true })[];
  acceptedCount: number;
  rejectedCount: number;
}

/**
 * One durable event. `timeUs` is the idempotency token's generation time in microseconds
 * (client times are whole milliseconds; server-made times use the sub-millisecond part so
 * that one process's own writes keep their order). (namespace, name, timeUs, eventId) is
 * the idempotency key: a retry rewrites the same row.
 */
export interface CounterEvent extends CounterRef {
  timeUs: number;
  eventId: string;
  /** A clear zeroes every event at or before its time; its delta is 0. */
  clear: boolean;
  delta: bigint;
  /**
   * Made here, for a write that came without an idempotency token: no retry can ever repeat
   * its key, so a store need not look for an earlier copy of it (nor keep its key for one).
   */
  unique?: true;
  /**
   * Nobody asks whether this write is a retry (the client did not select `applied`): a store
   * may write it without looking for an earlier copy, and then answers `applied` undefined.
   * The count is exact either way (a retry rewrites the same key).
   */
  unasked?: true;
}

export const INT64_MAX = (1n << 63n) - 1n;
export const INT64_MIN = -(1n << 63n);
export const inInt64 = (v: bigint): boolean => v >= INT64_MIN && v <= INT64_MAX;
