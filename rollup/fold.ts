import { INT64_MAX, INT64_MIN } from '../src/model';
import type { CounterSnapshot, WindowSummary } from '../src/store/types';

/**
 * Pure roll-up arithmetic. A clear at time t zeroes everything at or before t, so a window's
 * effect on a running count is: "replace by the sum after the clear" if it holds a clear,
 * else "add its sum". That makes the result independent of the order events were written
 * in, which is why two instances rolling up the same window agree.
 */
export const applyWindow = (base: bigint, w: WindowSummary): bigint => (w.clearUs !== null ? w.sum : base + w.sum);

/** The newest clear among the snapshot's events past its checkpoint, or null. */
export function newestClearUs(s: CounterSnapshot): number | null {
  const a = s.settled.clearUs;
  const b = s.tail.clearUs;
  return a === null ? b : b === null ? a : Math.max(a, b);
}

/**
 * What a clear at `clearUs` would leave of the snapshot's counter: the sum of the adds after
 * it (after a newer clear, if one is there), when the snapshot was read with settleUs =
 * clearUs so that its tail holds exactly the events after it. A clear at or before the
 * checkpoint cannot be told apart from what the checkpoint folded in: the exact count then.
 */
export function countAfterClear(s: CounterSnapshot, clearUs: number): bigint {
  if (s.checkpoint.checkpointUs > clearUs) return fold(s).exact;
  return applyWindow(0n, s.tail);
}

export interface Folded {
  /** Checkpoint + settled window + live tail: every accepted write so far. */
  exact: bigint;
  /** The new checkpoint to store, or null when it would not move. */
  checkpoint: { count: bigint; checkpointUs: number } | null;
}

/**
 * Folds a snapshot. The checkpoint moves only when it absorbs something: the last of the
 * pending writes (which ends the counter's pending state, as the sweeper needs), or settled
 * events, and then only in steps of at least `minStepUs`: a busy counter's settled window
 * advances with the clock, and without a step every roll-up of it would write a checkpoint.
 */
export function fold(s: CounterSnapshot, minStepUs = 0): Folded {
  const settledCount = applyWindow(s.checkpoint.count, s.settled);
  const exact = clamp(applyWindow(settledCount, s.tail));
  const { checkpointUs, lastWriteUs } = s.checkpoint;
  const moves =
    s.settleUs > checkpointUs &&
    lastWriteUs > checkpointUs &&
    (lastWriteUs <= s.settleUs || (s.settled.events > 0 && s.settleUs - checkpointUs >= minStepUs));
  return { exact, checkpoint: moves ? { count: clamp(settledCount), checkpointUs: s.settleUs } : null };
}

/**
 * Writes are refused when they would leave the 64-bit range as far as the writer can know;
 * concurrent writers on other instances can still push a sum past it, and then the count
 * saturates rather than wrapping around.
 */
export const clamp = (v: bigint): bigint => (v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : v);
