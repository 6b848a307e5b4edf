import type { Config } from '../src/config';
import type { CounterService } from '../src/counters/service';
import type { Logger } from '../src/logger';
import type { Metrics } from '../src/metrics';
import { createRouter } from './router';
import { RollupSidecar } from './sidecar';

/** Builds the roll-up sidecar for a counter service (XXHash needs an async start). */
export async function createRollupSidecar(
  opts: Config['rollup'],
  exclusiveStore: boolean,
  service: CounterService,
  metrics: Metrics,
  log: Logger,
): Promise<RollupSidecar> {
  const route = await createRouter(opts.queues);
  return new RollupSidecar({ ...opts, exclusiveStore }, route, service.rollup, service.pending, metrics, log.child({ part: 'rollup' }));
}
