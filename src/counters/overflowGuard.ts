import { LRUCache } from 'lru-cache';
import { CounterError, ErrorCode } from '../errors';
import { counterKey, inInt64, type CounterEvent, type CounterRef, type NamespaceConfig } from '../model';

/** Past this magnitude the local estimate is not trusted for the overflow check: read exactly. */
const NEAR_EDGE = 1n << 62n;
const near = (v: bigint): boolean => v >= NEAR_EDGE || v <= -NEAR_EDGE;

/**
 * Refuses a durable add whose result would leave the signed 64-bit range, as far as this
 * process can know at write time. It keeps, per counter, the last exact value this process
 * saw (reads, roll-ups, its own applied adds) and the deltas of adds that passed the check
 * but are not stored yet (positive and negative sums apart), so that concurrent adds, or
 * several items of one bulk request, cannot together leave the range.
 *
 * When it has no value for a counter (which may then be anywhere), or a value involved is
 * near the edge, the caller must read the exact count first (`needsExactBase`) and tell it
 * (`observe`). Writers on other instances can still push a sum past the edge together; the
 * roll-up then saturates (see rollup/fold.ts clamp).
 */
export class OverflowGuard {
  private readonly latest: LRUCache<string, bigint>;
  private readonly inflight = new Map<string, { pos: bigint; neg: bigint }>();

  constructor(maxCounters: number) {
    this.latest = new LRUCache({ max: maxCounters });
  }

  /** An exact count of the counter, as of now (a read or a roll-up). */
  observe(ref: CounterRef, exact: bigint): void {
    this.latest.set(counterKey(ref), exact);
  }

  /** Whether the add can only be judged after an exact read of its counter. */
  needsExactBase(event: CounterEvent): boolean {
    const key = counterKey(event);
    const base = this.latest.get(key);
    const f = this.inflight.get(key);
    return base === undefined || near(base) || near(event.delta) || (f !== undefined && (near(f.pos) || near(f.neg)));
  }

  /**
   * Throws COUNT_OVERFLOW when the add could leave the range, else holds its delta until
   * `release` (call it once the append has finished, whatever its outcome).
   */
  admit(ns: NamespaceConfig, event: CounterEvent): void {
    const key = counterKey(event);
    const base = this.latest.get(key) ?? 0n;
    const f = this.inflight.get(key) ?? { pos: 0n, neg: 0n };
    if (!inInt64(base + f.pos + event.delta) || !inInt64(base + f.neg + event.delta)) {
      throw new CounterError(
        ErrorCode.CountOverflow,
        `adding ${event.delta} to ${ns.name}/${event.name} (count ${base}) would leave the signed 64-bit range`,
        { namespace: ns.name, name: event.name },
      );
    }
    this.hold(key, event.delta, 1n);
  }

  /** The admitted add's append finished; `applied` when it was stored (not a retry). */
  release(event: CounterEvent, applied: boolean): void {
    const key = counterKey(event);
    this.hold(key, event.delta, -1n);
    if (!applied) return;
    const cur = this.latest.get(key);
    if (cur !== undefined) this.latest.set(key, cur + event.delta);
  }

  private hold(key: string, delta: bigint, sign: bigint): void {
    const f = this.inflight.get(key) ?? { pos: 0n, neg: 0n };
    if (delta > 0n) f.pos += sign * delta;
    else f.neg += sign * delta;
    if (f.pos === 0n && f.neg === 0n) this.inflight.delete(key);
    else this.inflight.set(key, f);
  }
}
