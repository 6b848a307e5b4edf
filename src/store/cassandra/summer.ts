import type { WindowSummary } from '../types';

/** The summary of a window without events. */
export const EMPTY_WINDOW: WindowSummary = { clearUs: null, sum: 0n, events: 0 };

/** Reduces a window's events in any order to a WindowSummary (see rollup/fold.ts). */
export class Summer {
  private clearUs: number | null = null;
  private readonly adds: { t: number; d: bigint }[] = [];

  add(timeUs: number, clear: boolean, delta: bigint): void {
    if (clear) {
      if (this.clearUs === null || timeUs > this.clearUs) this.clearUs = timeUs;
    } else {
      this.adds.push({ t: timeUs, d: delta });
    }
  }

  result(): WindowSummary {
    let sum = 0n;
    let events = 0;
    const after = this.clearUs ?? -Infinity;
    for (const a of this.adds) {
      if (a.t > after) {
        sum += a.d;
        events++;
      }
    }
    if (this.clearUs === null && events === 0) return EMPTY_WINDOW;
    return { clearUs: this.clearUs, sum, events: events + (this.clearUs === null ? 0 : 1) };
  }
}
