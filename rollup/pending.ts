import type { CounterRef } from '../src/model';
import { NAMESPACE_RELIST_MS, type NamespaceLister } from './namespaces';
import type { EventStore } from '../src/store/types';
import { settleUs } from './settle';

/** Pending counters listed per namespace per sweep; the rest are found by the next sweeps. */
export const PENDING_PER_SWEEP = 10_000;

/**
 * Finds counters that still need a roll-up from durable state: on start (`all`: everything a
 * crash left un-rolled) and periodically (counters whose roll-up was dropped by a full queue,
 * failed, or whose checkpoint can move now that their window became immutable).
 */
export type PendingSource = (opts: { all: boolean }) => Promise<CounterRef[]>;

export function pendingSource(
  store: Pick<EventStore, 'listPending'>,
  namespaces: NamespaceLister,
  skewMarginMs: number,
): PendingSource {
  return async ({ all }) => {
    const out: CounterRef[] = [];
    for (const ns of await namespaces.list(NAMESPACE_RELIST_MS)) {
      if (ns.mode === 'BEST_EFFORT') continue;
      const upToUs = all ? Number.MAX_SAFE_INTEGER : settleUs(ns, skewMarginMs);
      out.push(...(await store.listPending({ namespace: ns.name, upToUs, limit: PENDING_PER_SWEEP })));
    }
    return out;
  };
}
