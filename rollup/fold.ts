import { INT64_MAX, INT64_MIN } from '../src/model';
import type { CounterSnapshot, WindowSummary } from '../src/store/types';

/**
 * Pure roll-up arithmetic. A clear at time t zeroes everything at or before t, so a window's
 * effect on a running count is: "replace by the sum after the clear" if it holds a clear,
 * else "add its sum". That makes the result independent of the order events were written
 * in, which is why two instances rolling up the same window agree.
 */
export const applyWindow = (base: bigint, w: WindowSummary): bigint => (w.clearUs !== null ? w.sum : base + w.sum);

export interface Folded {
  /** Checkpoint + settled window + live tail: every accepted write so far. */
  exact: bigint;
  /** The new checkpoint to store, or null when it would not move. */
  checkpoint: { count: bigint; checkpointUs: number } | null;
}

export function fold(s: CounterSnapshot): Folded {
  const settledCount = applyWindow(s.rollup.count, s.settled);
  const exact = clamp(applyWindow(settledCount, s.tail));
  const { checkpointUs, lastWriteUs } = s.rollup;
  // Move the checkpoint only when it absorbs something: settled events, or the last of the
  // pending writes (which then stops the counter from being listed as pending).
  const moves =
    s.settleUs > checkpointUs && lastWriteUs > checkpointUs && (s.settled.events > 0 || lastWriteUs <= s.settleUs);
  return { exact, checkpoint: moves ? { count: clamp(settledCount), checkpointUs: s.settleUs } : null };
}

/**
 * Writes are refused when they would leave the 64-bit range as far as the writer can know;
 * concurrent writers on other instances can still push a sum past it, and then the count
 * saturates rather than wrapping around.
 */
export const clamp = (v: bigint): bigint => (v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : v);
