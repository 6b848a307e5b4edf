import { countAfterClear, fold, newestClearUs } from '../../rollup/fold';
import { settlesAtMs, settleUs } from '../../rollup/settle';
import type { RollupTrigger } from '../../rollup/trigger';
import type { ConvergedCache } from '../cache/types';
import { CounterError, ErrorCode, unavailable } from '../errors';
import type { Metrics } from '../metrics';
import { counterOf, type CounterEvent, type CounterRef, type NamespaceConfig } from '../model';
import type { CounterSnapshot, EventStore } from '../store/types';
import type { OverflowGuard } from './overflowGuard';
import type { WriteResult } from './types';

/** One durable add of a (bulk) request: its position in the request, its namespace, its event. */
export interface DurableItem {
  i: number;
  ns: NamespaceConfig;
  event: CounterEvent;
}

/**
 * EVENTUAL and ACCURATE counters: durable events, exact counts folded from the store, the
 * converged cache for EVENTUAL reads, and the roll-up trigger. Every write is durable before
 * it is answered.
 */
export class DurableCounters {
  constructor(
    private readonly store: Pick<EventStore, 'append' | 'readSnapshots'>,
    private readonly converged: ConvergedCache,
    private readonly guard: OverflowGuard,
    private readonly rollup: RollupTrigger,
    private readonly metrics: Pick<Metrics, 'writes'>,
    private readonly skewMarginMs: number,
  ) {}

  /**
   * Appends the adds that pass the overflow guard, all in one store append (one group
   * commit). Returns, by item position, a result or the item's refusal.
   */
  async add(items: DurableItem[]): Promise<Map<number, WriteResult | CounterError>> {
    const out = new Map<number, WriteResult | CounterError>();
    const unreadable = await this.prefetchBases(items);
    const admitted: DurableItem[] = [];
    // Checked one after another so that items of this request on the same counter see each
    // other's deltas as well as those of concurrent requests.
    for (const item of items) {
      try {
        const failed = unreadable.get(item.ns.name);
        if (failed) throw failed;
        this.guard.admit(item.ns, item.event);
        admitted.push(item);
      } catch (err) {
        out.set(item.i, unavailable(err));
      }
    }
    if (admitted.length === 0) return out;
    let results: { applied: boolean }[];
    try {
      results = await this.store.append(admitted.map((d) => d.event));
    } catch (err) {
      // The store refused the whole group (nothing of it written): each item gets the refusal.
      for (const d of admitted) {
        this.guard.release(d.event, false);
        out.set(d.i, unavailable(err));
      }
      return out;
    }
    // An event is stored, but counted only if it was visible before the roll-up could settle
    // past its time; the store's answer proves it visible when it comes (an append committed
    // or found). An answer after that time (a store or an event loop stalled for seconds)
    // proves nothing: the write is not acknowledged (UNAVAILABLE, "unconfirmed").
    const answeredMs = Date.now();
    // The write metric once per mode and outcome, not per item (a labelled inc hashes its labels).
    const tally = new Map<string, { mode: NamespaceConfig['mode']; outcome: 'applied' | 'duplicate' | 'unconfirmed'; n: number }>();
    admitted.forEach(({ i, ns, event }, j) => {
      const { applied } = results[j]!;
      this.guard.release(event, applied);
      const late = answeredMs > settlesAtMs(ns, this.skewMarginMs, event.timeUs);
      const outcome = late ? 'unconfirmed' : applied ? 'applied' : 'duplicate';
      const key = `${ns.mode}/${outcome}`;
      const t = tally.get(key);
      if (t) t.n++;
      else tally.set(key, { mode: ns.mode, outcome, n: 1 });
      this.rollup.notify(event);
      out.set(
        i,
        late
          ? new CounterError(
              ErrorCode.Unavailable,
              'the store confirmed this write after the roll-up may have settled past its time: it is stored, but may not be counted (not acknowledged)',
              { lateMs: answeredMs - Math.round(settlesAtMs(ns, this.skewMarginMs, event.timeUs)) },
            )
          : { counter: counterOf(ns, event.name), applied },
      );
    });
    for (const { mode, outcome, n } of tally.values()) this.metrics.writes.inc({ mode, outcome }, n);
    return out;
  }

  /**
   * A durable clear; the result carries the exact count after it. A clear generated before
   * adds already stored leaves their sum, which no add was checked against: it is refused
   * with COUNT_OVERFLOW when that sum leaves the range (the guard, from one read of the
   * events after the clear).
   */
  async clear(ns: NamespaceConfig, event: CounterEvent): Promise<WriteResult> {
    const mark = this.guard.mark(event);
    const [snap] = await this.store.readSnapshots({ refs: [event], settleUs: event.timeUs });
    this.guard.observe(event, fold(snap!).exact, { mark, clearUs: newestClearUs(snap!) });
    this.guard.admitClear(ns, event, countAfterClear(snap!, event.timeUs));
    let result: { applied: boolean } | undefined;
    try {
      [result] = await this.store.append([event]);
    } finally {
      this.guard.releaseClear(event, result?.applied ?? false);
    }
    this.metrics.writes.inc({ mode: ns.mode, outcome: result!.applied ? 'applied' : 'duplicate' });
    this.rollup.notify(event);
    const [count] = await this.exactCounts(ns, [event]);
    return { counter: counterOf(ns, event.name, count!), applied: result!.applied };
  }

  /**
   * GetCount of counters of one namespace: ACCURATE folds checkpoint + live events every
   * time; EVENTUAL returns the converged value (computing it once when the cache has none)
   * and offers each cached counter to the roll-up, so a quiet counter converges by itself.
   */
  async getCounts(ns: NamespaceConfig, refs: CounterRef[]): Promise<bigint[]> {
    if (ns.mode === 'ACCURATE') return this.exactCounts(ns, refs);
    const cached = await this.converged.get(refs);
    const missing = refs.filter((_, i) => cached[i] === undefined);
    let fresh: bigint[] = [];
    if (missing.length > 0) {
      const asOfMs = Date.now();
      fresh = await this.exactCounts(ns, missing);
      // Not awaited: the values are exact already, caching them only spares the next read,
      // and a slow or hung cache (Redis) must not hold the answer (newest asOf wins there).
      this.converged.setMany({ entries: missing.map((ref, i) => ({ ref, value: fresh[i]! })), asOfMs }).catch(() => undefined);
    }
    // A counter just computed from the store needs no roll-up for this read: its value is
    // exact, and exactCounts already offered it if it is pending (a checkpoint to move).
    for (let i = 0; i < refs.length; i++) if (cached[i] !== undefined) this.rollup.notifyRead(refs[i]!);
    let k = 0;
    return cached.map((v) => v ?? fresh[k++]!);
  }

  /** Checkpoint + settled events + live tail, for counters of one namespace. */
  async exactCounts(ns: NamespaceConfig, refs: CounterRef[]): Promise<bigint[]> {
    const marks = refs.map((r) => this.guard.mark(r));
    const snaps = await this.store.readSnapshots({ refs, settleUs: settleUs(ns, this.skewMarginMs) });
    return snaps.map((s, i) => {
      const { exact } = fold(s);
      this.guard.observe(refs[i]!, exact, { mark: marks[i], clearUs: newestClearUs(s) });
      if (pendingIn(s)) this.rollup.notify(refs[i]!);
      return exact;
    });
  }

  /**
   * Reads, in one batched read per namespace, the exact counts of the counters whose adds the
   * guard cannot judge from what it knows. Returns the read failure per namespace (those items
   * are refused with it, nothing written).
   */
  private async prefetchBases(items: DurableItem[]): Promise<Map<string, CounterError>> {
    const byNs = new Map<string, { ns: NamespaceConfig; refs: Map<string, CounterRef> }>();
    for (const { ns, event } of items) {
      if (!this.guard.needsExactBase(event)) continue;
      let g = byNs.get(ns.name);
      if (!g) byNs.set(ns.name, (g = { ns, refs: new Map() }));
      g.refs.set(event.name, { namespace: ns.name, name: event.name });
    }
    const failures = new Map<string, CounterError>();
    await Promise.all(
      [...byNs.values()].map(({ ns, refs }) =>
        this.exactCounts(ns, [...refs.values()]).then(
          () => undefined,
          (err: unknown) => void failures.set(ns.name, unavailable(err)),
        ),
      ),
    );
    return failures;
  }
}

const pendingIn = (s: CounterSnapshot): boolean => s.checkpoint.lastWriteUs > s.checkpoint.checkpointUs;
