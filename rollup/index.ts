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
  const job = new RollupJob({
    store,
    converged: deps.converged,
    pubsub: deps.pubsub,
    namespaces: deps.namespaces,
    metrics: deps.metrics,
    skewMarginMs: options.skewMarginMs,
    ...(deps.onRolledUp ? { onRolledUp: deps.onRolledUp } : {}),
  });
  const pending = pendingSource(store, deps.namespaces, options.skewMarginMs);
  const route = await createRouter(options.queues);
  const sidecar = new RollupSidecar(
    { ...options, exclusiveStore: store.exclusiveWriter },
    route,
    job.run,
    pending,
    deps.metrics,
    log.child({ part: 'rollup' }),
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
