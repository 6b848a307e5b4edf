import type { BestEffortCache, ConvergedCache } from '../cache/types';
import { CounterError, unavailable } from '../errors';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Store } from '../store/types';
import { traced } from '../telemetry/tracing';

/**
 * Decorators around the seams, applied once by the composition root so that neither the
 * counter service nor the roll-up repeats them: every call is counted in metrics
 * (`counter_store_calls_total` and `counter_store_counters_total` by `op`: one batched call
 * may cover many counters), and a backend's failure becomes UNAVAILABLE (logged once here)
 * while the contract's own refusals (CounterError, e.g. COUNT_OVERFLOW) pass through.
 */
export interface Instrumentation {
  metrics: Pick<Metrics, 'storeCalls' | 'storeCounters'>;
  log: Pick<Logger, 'error'>;
  /** A span per call (`counters.append`, …, with the number of counters), children of the request's span. */
  tracing?: boolean;
}

async function call<T>(ins: Instrumentation, op: string, counters: number, fn: () => Promise<T>): Promise<T> {
  ins.metrics.storeCalls.inc({ op });
  ins.metrics.storeCounters.inc({ op }, counters);
  try {
    return await (ins.tracing ? traced(`counters.${op}`, { 'counters.op': op, 'counters.items': counters }, fn) : fn());
  } catch (err) {
    if (err instanceof CounterError) throw err;
    ins.log.error({ err, op }, 'backing store call failed');
    throw unavailable(err);
  }
}

/** The store with its event and checkpoint calls instrumented (namespace calls pass through). */
export function instrumentStore(store: Store, ins: Instrumentation): Store {
  return {
    kind: store.kind,
    exclusiveWriter: store.exclusiveWriter,
    ...(store.countBound !== undefined ? { countBound: store.countBound } : {}),
    listNamespaces: () => store.listNamespaces(),
    getNamespace: (name) => store.getNamespace(name),
    createNamespace: (ns) => store.createNamespace(ns),
    updateNamespace: (ns) => store.updateNamespace(ns),
    markNamespaceDeleted: (name, atMs) => store.markNamespaceDeleted(name, atMs),
    listDeletedNamespaces: () => store.listDeletedNamespaces(),
    dropNamespace: (name) => store.dropNamespace(name),
    append: (events) => call(ins, 'append', events.length, () => store.append(events)),
    readSnapshots: (q) => call(ins, 'readSnapshots', q.refs.length, () => store.readSnapshots(q)),
    writeCheckpoints: (items) => call(ins, 'writeCheckpoints', items.length, () => store.writeCheckpoints(items)),
    listPending: (q) => call(ins, 'listPending', 1, () => store.listPending(q)),
    purge: (q) => call(ins, 'purge', 1, () => store.purge(q)),
    removeNamespaceData: (name) => call(ins, 'removeNamespaceData', 1, () => store.removeNamespaceData(name)),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}

export function instrumentBestEffort(cache: BestEffortCache, ins: Instrumentation): BestEffortCache {
  return {
    add: (op) => call(ins, 'cacheAdd', 1, () => cache.add(op)),
    get: (refs) => call(ins, 'cacheGet', refs.length, () => cache.get(refs)),
    clear: (op) => call(ins, 'cacheClear', 1, () => cache.clear(op)),
    clearNamespace: (namespace) => call(ins, 'cacheClearNamespace', 1, () => cache.clearNamespace(namespace)),
    close: () => cache.close(),
  };
}

export function instrumentConverged(cache: ConvergedCache, ins: Instrumentation): ConvergedCache {
  return {
    get: (refs) => call(ins, 'convergedCacheGet', refs.length, () => cache.get(refs)),
    // A memory look-up, per item of a write: not a seam call worth a span or a metric.
    ...(cache.holds ? { holds: (key: string) => cache.holds!(key) } : {}),
    setMany: (u) => call(ins, 'convergedCacheSet', u.entries.length, () => cache.setMany(u)),
    clearNamespace: (namespace) => call(ins, 'convergedCacheClearNamespace', 1, () => cache.clearNamespace(namespace)),
    close: () => cache.close(),
  };
}
