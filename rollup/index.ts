import type { ConvergedCache } from '../src/cache/types';
import type { Config } from '../src/config';
import type { Logger } from '../src/logger';
import type { Metrics } from '../src/metrics';
import type { CounterRef } from '../src/model';
import type { PubSub } from '../src/pubsub/types';
import type { Store } from '../src/store/types';
import { RollupJob, type RolledUpListener } from './job';
import type { NamespaceSource } from './namespaces';
import { pendingSource, type PendingSource } from './pending';
import { Purger } from './purge';
import { createRouter } from './router';
import { RollupSidecar } from './sidecar';
import type { RollupTrigger } from './trigger';

export type { RollupTrigger } from './trigger';

export interface RollupDeps {
  /** The seams, already instrumented (metrics, errors) by the composition root. */
  store: Store;
  converged: ConvergedCache;
  pubsub: Pick<PubSub, 'publish'>;
  namespaces: NamespaceSource;
  metrics: Metrics;
  log: Logger;
  options: Config['rollup'];
  onRolledUp?: RolledUpListener;
  /**
   * Whether every write offers its counters (true), or only those someone follows here: read
   * (their converged value is held in `converged`, which must then answer `holds`) or
   * watched. Only for a process with its caches and pub/sub in its memory (no Redis): nobody
   * else can hold or want its converged values (another instance on the same store rolls up
   * from the pending marks itself), and a read of a counter not held is exact from the store and offers it
   * (DurableCounters.getCounts). The counters nobody follows are then rolled up by the sweeps
   * alone: once settled, and every STEADY_CHECKPOINT_MS while still written; their roll-ups
   * add nothing to the converged cache. Default true.
   */
  rollUnread?: boolean;
}

/** The whole roll-up pipeline of one process, built once by the composition root. */
export interface Rollup {
  /** Where writes and reads offer counters (the counter service's only view of the roll-up). */
  trigger: RollupTrigger;
  /** Rolls these counters up now, outside the queues (tests, tools). */
  run(refs: CounterRef[]): Promise<void>;
  /** The durable un-rolled counters the sweeper would find now. */
  pending: PendingSource;
  /** Starts the queue drainers, the start-up and periodic sweeps, and the retention purge. */
  start(): void;
  /** Stops taking offers, finishes the queued work, stops the purge. */
  stop(): Promise<void>;
}

/**
 * Builds the roll-up: XXHash routing into coalescing queues, the sidecar that drains them in
 * paced batches, the roll-up job, re-discovery of pending counters, and the purge of expired
 * events. Depends only on the seams and the namespace source (async: XXHash loads its wasm).
 */
export async function createRollup(deps: RollupDeps): Promise<Rollup> {
  const { store, options, log } = deps;
  const holds = deps.converged.holds?.bind(deps.converged);
  const followOnly = deps.rollUnread === false && holds !== undefined;
  const job = new RollupJob({
    store,
    converged: deps.converged,
    pubsub: deps.pubsub,
    namespaces: deps.namespaces,
    metrics: deps.metrics,
    skewMarginMs: options.skewMarginMs,
    ...(deps.onRolledUp ? { onRolledUp: deps.onRolledUp } : {}),
    refreshOnly: followOnly,
  });
  const pending = pendingSource(store, deps.namespaces, options.skewMarginMs, followOnly);
  const route = await createRouter(options.queues);
  const sidecar = new RollupSidecar(
    { ...options, exclusiveStore: store.exclusiveWriter },
    route,
    job.run,
    pending,
    deps.metrics,
    log.child({ part: 'rollup' }),
    followOnly ? holds : undefined,
  );
  const purger = new Purger(store, deps.namespaces, options.purgeIntervalMs, log.child({ part: 'purge' }));
  return {
    trigger: sidecar,
    run: job.run,
    pending,
    start() {
      sidecar.start();
      purger.start();
    },
    async stop() {
      purger.stop();
      await sidecar.stop();
    },
  };
}
