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
