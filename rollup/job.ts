import type { ConvergedCache } from '../src/cache/types';
import { groupBy, type CounterRef } from '../src/model';
import type { Metrics } from '../src/metrics';
import type { PubSub } from '../src/pubsub/types';
import type { CheckpointWrite, EventStore } from '../src/store/types';
import { fold } from './fold';
import type { NamespaceSource } from './namespaces';
import { settleUs } from './settle';

/**
 * Smallest step of a checkpoint that does not absorb the counter's last write (see fold):
 * roll-ups stay as frequent as convergence needs, checkpoint writes do not follow them.
 */
export const CHECKPOINT_STEP_US = 1_000_000;

/**
 * Told each counter's exact count after its roll-up (the overflow guard keeps it as its
 * estimate), with its counterKey when the caller of `run` gave it (see OverflowGuard).
 */
export type RolledUpListener = (ref: CounterRef, exact: bigint, key: string | undefined) => void;

export interface RollupJobDeps {
  store: Pick<EventStore, 'readSnapshots' | 'writeCheckpoints'>;
  converged: ConvergedCache;
  pubsub: Pick<PubSub, 'publish'>;
  namespaces: Pick<NamespaceSource, 'find'>;
  metrics: Pick<Metrics, 'rollupCheckpoints'>;
  skewMarginMs: number;
  onRolledUp?: RolledUpListener;
  /** Refresh only the converged values held already; add none (RollupDeps.rollUnread false). */
  refreshOnly?: boolean;
}

/**
 * The roll-up of one batch of counters: per namespace, one batched snapshot read, the fold,
 * the checkpoints that can move (one batched write), the converged cache, and a publish for
 * each counter whose converged value changed. Counters of unknown or BEST_EFFORT namespaces
 * are skipped (they have no events).
 */
export class RollupJob {
  constructor(private readonly deps: RollupJobDeps) {}

  /**
   * Rolls the counters up. `onPublished` is called once every converged value of the batch is
   * cached and published, before the checkpoint writes are awaited: the sidecar takes its next
   * batch from there (see RollupSidecar.drain), since on the embedded store a checkpoint write
   * queues on the writer thread behind appends. The promise settles once the writes did too.
   * `keys`, when given, are the counters' counterKeys (by position), for the listener.
   * `urgent` reads the snapshots as request work, not as background (the watched lane: a
   * subscriber waits for these values).
   */
  readonly run = async (refs: CounterRef[], onPublished?: () => void, keys?: readonly string[], urgent = false): Promise<void> => {
    const { store, converged, pubsub, namespaces, metrics, skewMarginMs, onRolledUp, refreshOnly } = this.deps;
    const writes: Promise<void>[] = [];
    for (const [name, positions] of groupBy(
      refs.map((_, i) => i),
      (i) => refs[i]!.namespace,
    )) {
      const group = positions.map((i) => refs[i]!);
      const ns = await namespaces.find(name);
      if (!ns || ns.mode === 'BEST_EFFORT') continue;
      const asOfMs = Date.now();
      const snaps = await store.readSnapshots({ refs: group, settleUs: settleUs(ns, skewMarginMs, asOfMs), background: !urgent });
      const folded = snaps.map((snap) => fold(snap, CHECKPOINT_STEP_US));
      const checkpoints: CheckpointWrite[] = [];
      for (let i = 0; i < group.length; i++) {
        const c = folded[i]!.checkpoint;
        if (c) checkpoints.push({ ref: group[i]!, ...c });
        onRolledUp?.(group[i]!, folded[i]!.exact, keys?.[positions[i]!]);
      }
      // The converged values are exact as read, whether or not their checkpoints are stored
      // yet, so they are cached and published while the checkpoint write runs: on the
      // embedded store it queues on the writer thread behind appends, and waiting for it put
      // up to a second on the convergence lag. A failed write still fails the batch (retried).
      if (checkpoints.length > 0) {
        const written = store.writeCheckpoints(checkpoints).then(() => metrics.rollupCheckpoints.inc(checkpoints.length));
        written.catch(() => undefined);
        writes.push(written);
      }
      const { changed } = await converged.setMany({ entries: group.map((ref, i) => ({ ref, value: folded[i]!.exact, key: keys?.[positions[i]!] })), asOfMs, ...(refreshOnly ? { refreshOnly } : {}) });
      for (let i = 0; i < group.length; i++) {
        if (changed[i]) pubsub.publish({ namespace: ns.name, name: group[i]!.name, count: folded[i]!.exact, asOfMs });
      }
    }
    onPublished?.();
    await Promise.all(writes);
  };
}
