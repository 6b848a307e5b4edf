import { msToUs } from '../src/clock';
import type { NamespaceConfig } from '../src/model';

/**
 * The immutable boundary of a namespace's counters as of `nowMs`: events at or before it can
 * no longer be written (accept limit) on any instance whose clock is within the skew margin
 * of ours, so windows up to it never change again and can be checkpointed.
 */
export function settleUs(ns: NamespaceConfig, skewMarginMs: number, nowMs = Date.now()): number {
  return msToUs(nowMs - ns.acceptLimitMs - skewMarginMs);
}

/**
 * When (ms on the wall clock) the roll-up may first checkpoint past an event of `timeUs`:
 * the event must be visible by then, or it would never be counted (see DurableCounters.add).
 */
export function settlesAtMs(ns: NamespaceConfig, skewMarginMs: number, timeUs: number): number {
  return timeUs / 1000 + ns.acceptLimitMs + skewMarginMs;
}
