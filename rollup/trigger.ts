import type { CounterRef } from '../src/model';

/**
 * What the counter service knows of the roll-up: a way to say "this counter may need one".
 * Offers never block and never throw; the pipeline behind them (rollup/sidecar.ts) decides
 * when, in which batch and whether at all (a counter rolled up since its last write needs none).
 */
export interface RollupTrigger {
  /** A durable write reached the counter, or a read found it pending. */
  notify(ref: CounterRef): void;
  /**
   * Durable writes reached these counters (one request's), `keys` their counterKeys in the
   * same order: one call per request instead of one per item.
   */
  notifyMany(refs: readonly CounterRef[], keys: readonly string[]): void;
  /**
   * The counters may hold a write their value just read missed, which nobody waits for (a
   * race of a first read with a write whose offer went before the counter was followed):
   * background work, gathered with the sweeps and refreshes.
   */
  notifyLater(refs: readonly CounterRef[]): void;
  /** The counter was read: roll it up only if it may hold writes its last roll-up did not see. */
  notifyRead(ref: CounterRef): void;
  /**
   * Someone in this process subscribed to the counter: its roll-ups go first, in a lane of
   * their own, until the returned function is called (see RollupSidecar.watch).
   */
  watch(ref: CounterRef): () => void;
}
