import { msToUs } from '../src/clock';
import type { Logger } from '../src/logger';
import type { EventStore } from '../src/store/types';
import { NAMESPACE_RELIST_MS, type NamespaceLister } from './namespaces';

/** Deletes, per durable namespace, the events past its retention that are already checkpointed. */
export async function purgeExpired(store: Pick<EventStore, 'purge'>, namespaces: NamespaceLister, nowMs = Date.now()): Promise<number> {
  let deleted = 0;
  for (const ns of await namespaces.list(NAMESPACE_RELIST_MS)) {
    if (ns.mode === 'BEST_EFFORT') continue;
    deleted += (await store.purge({ namespace: ns, beforeUs: msToUs(nowMs - ns.retentionSeconds * 1000) })).deleted;
  }
  return deleted;
}

/**
 * Runs purgeExpired every intervalMs (retention is days by default and a purge walks every
 * counter, so it runs rarely). A failed purge is logged and retried on the next interval.
 */
export class Purger {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Pick<EventStore, 'purge'>,
    private readonly namespaces: NamespaceLister,
    private readonly intervalMs: number,
    private readonly log: Pick<Logger, 'warn'>,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      purgeExpired(this.store, this.namespaces).catch((err: unknown) => this.log.warn({ err }, 'retention purge failed'));
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
