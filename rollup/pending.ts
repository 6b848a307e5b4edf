import type { CounterRef } from '../src/model';
import { NAMESPACE_RELIST_MS, type NamespaceLister } from './namespaces';
import type { EventStore } from '../src/store/types';
import { settleUs } from './settle';

/** Pending counters listed per namespace per sweep; the rest are found by the next sweeps. */
export const PENDING_PER_SWEEP = 10_000;

/**
 * When writes do not offer counters nobody reads (RollupDeps.rollUnread false), how old the
 * settled events of a counter still being written may get before a sweep rolls it up: its
 * checkpoint then moves about this often, and its window (what a read of it sums) stays
 * within about this plus the namespace's settle delay.
 */
export const STEADY_CHECKPOINT_MS = 30_000;

/**
 * Finds counters that still need a roll-up from durable state: on start (`all`: everything a
 * crash left un-rolled) and periodically (counters whose roll-up was dropped by a full queue,
 * failed, or whose checkpoint can move now that their window became immutable).
 */
export type PendingSource = (opts: { all: boolean }) => Promise<CounterRef[]>;

/** `steady`: also list counters still being written whose settled events are STEADY_CHECKPOINT_MS old. */
export function pendingSource(
  store: Pick<EventStore, 'listPending'>,
  namespaces: NamespaceLister,
  skewMarginMs: number,
  steady = false,
): PendingSource {
  return async ({ all }) => {
    const out: CounterRef[] = [];
    for (const ns of await namespaces.list(NAMESPACE_RELIST_MS)) {
      if (ns.mode === 'BEST_EFFORT') continue;
      const upToUs = all ? Number.MAX_SAFE_INTEGER : settleUs(ns, skewMarginMs);
      const steadyBeforeUs = steady && !all ? upToUs - STEADY_CHECKPOINT_MS * 1000 : undefined;
      out.push(...(await store.listPending({ namespace: ns.name, upToUs, limit: PENDING_PER_SWEEP, ...(steadyBeforeUs !== undefined ? { steadyBeforeUs } : {}) })));
    }
    return out;
  };
}
