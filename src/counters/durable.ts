import { countAfterClear, fold, newestClearUs } from '../../rollup/fold';
import { settlesAtMs, settleUs } from '../../rollup/settle';
import type { RollupTrigger } from '../../rollup/trigger';
import type { ConvergedCache } from '../cache/types';
import { CounterError, ErrorCode, unavailable } from '../errors';
import type { Metrics } from '../metrics';
import { counterKey, counterOf, type CounterEvent, type CounterRef, type NamespaceConfig } from '../model';
import type { AppendResult, CounterSnapshot, EventStore } from '../store/types';
import type { OverflowGuard, Ticket } from './overflowGuard';
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
    private readonly rollup: Omit<RollupTrigger, 'watch'>,
    private readonly metrics: Pick<Metrics, 'writes'>,
    private readonly skewMarginMs: number,
    /**
     * Writes offer only the counters someone follows (RollupDeps.rollUnread false): a read
     * that computes a counter missing from the converged cache then offers it, pending or
     * not (see getCounts).
     */
    private readonly followedOnly = false,
  ) {}

  /**
   * Appends the adds that pass the overflow guard, all in one store append (one group
   * commit). Returns, by item position, a result or the item's refusal.
   *
   * Written for the 200-item request over distinct counters: each counter's key is built
   * once and reused by every look-up (guard, roll-up), the roll-up is offered the request's
   * counters in one call, and the write metric is tallied per request.
   */
  async add(items: DurableItem[]): Promise<Map<number, WriteResult | CounterError>> {
    const out = new Map<number, WriteResult | CounterError>();
    const keys = items.map((d) => counterKey(d.event));
    const admitted: DurableItem[] = [];
    const tickets: Ticket[] = [];
    // Items whose counter needed no read when the bases were read, but do now: the guard's
    // store-wide bound grew meanwhile past what admits them (an add near the edge, in this
    // request or a concurrent one). Read once more, then admitted.
    let late: number[] = [];
    for (let round = 0; round < 2; round++) {
      const todo = round === 0 ? items : late.map((j) => items[j]!);
      const todoKeys = round === 0 ? keys : late.map((j) => keys[j]!);
      if (todo.length === 0) break;
      const unreadable = await this.prefetchBases(todo, todoKeys);
      const retry: number[] = [];
      // Checked one after another so that items of this request on the same counter see each
      // other's deltas as well as those of concurrent requests.
      for (let t = 0; t < todo.length; t++) {
        const item = todo[t]!;
        const failed = unreadable?.get(item.ns.name);
        if (failed) {
          out.set(item.i, failed);
          continue;
        }
        try {
          tickets.push(this.guard.admit(item.ns, item.event, todoKeys[t]));
          admitted.push(item);
        } catch (err) {
          // UNAVAILABLE from admit: nothing known of the counter (COUNT_OVERFLOW is final).
          if (round === 0 && err instanceof CounterError && err.code === ErrorCode.Unavailable) retry.push(t);
          else out.set(item.i, unavailable(err));
        }
      }
      late = retry;
    }
    if (admitted.length === 0) return out;
    const events = admitted.map((d) => d.event);
    let results: AppendResult[];
    try {
      results = await this.store.append(events);
    } catch (err) {
      // The store refused the whole group (nothing of it written): each item gets the refusal.
      for (let j = 0; j < admitted.length; j++) {
        this.guard.release(tickets[j]!, false);
        out.set(admitted[j]!.i, unavailable(err));
      }
      return out;
    }
    // An event is stored, but counted only if it was visible before the roll-up could settle
    // past its time; the store's answer proves it visible when it comes (an append committed
    // or found). An answer after that time (a store or an event loop stalled for seconds)
    // proves nothing: the write is not acknowledged (UNAVAILABLE, "unconfirmed").
    const answeredMs = Date.now();
    // The write metric once per mode and outcome, not per item (a labelled inc hashes its labels).
    const tally = new Map<NamespaceConfig['mode'], [applied: number, duplicate: number, unconfirmed: number, unchecked: number]>();
    const admittedKeys = new Array<string>(admitted.length);
    for (let j = 0; j < admitted.length; j++) {
      const { i, ns, event } = admitted[j]!;
      const ticket = tickets[j]!;
      const { applied } = results[j]!;
      admittedKeys[j] = ticket.key;
      this.guard.release(ticket, applied);
      const settlesMs = settlesAtMs(ns, this.skewMarginMs, event.timeUs);
      const late = answeredMs > settlesMs;
      let t = tally.get(ns.mode);
      if (t === undefined) tally.set(ns.mode, (t = [0, 0, 0, 0]));
      t[late ? 2 : applied === undefined ? 3 : applied ? 0 : 1]++;
      out.set(
        i,
        late
          ? new CounterError(
              ErrorCode.Unavailable,
              'the store confirmed this write after the roll-up may have settled past its time: it is stored, but may not be counted (not acknowledged)',
              { lateMs: answeredMs - Math.round(settlesMs) },
            )
          : { counter: counterOf(ns, event.name), applied },
      );
    }
    this.rollup.notifyMany(events, admittedKeys);
    for (const [mode, [applied, duplicate, unconfirmed, unchecked]] of tally) {
      if (applied > 0) this.metrics.writes.inc({ mode, outcome: 'applied' }, applied);
      if (unchecked > 0) this.metrics.writes.inc({ mode, outcome: 'unchecked' }, unchecked);
      if (duplicate > 0) this.metrics.writes.inc({ mode, outcome: 'duplicate' }, duplicate);
      if (unconfirmed > 0) this.metrics.writes.inc({ mode, outcome: 'unconfirmed' }, unconfirmed);
    }
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
    const ticket = this.guard.admitClear(ns, event, countAfterClear(snap!, event.timeUs));
    // A clear is never `unasked`: the store always answers whether it was a retry.
    let result: AppendResult | undefined;
    try {
      [result] = await this.store.append([event]);
    } finally {
      this.guard.releaseClear(ticket, result?.applied === true);
    }
    this.metrics.writes.inc({ mode: ns.mode, outcome: result!.applied === false ? 'duplicate' : 'applied' });
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
      // Where writes offer only followed counters, each is offered, pending or not: a write
      // stored while the read ran may not be in it, and its offer may have gone before this
      // value is cached (the counter was not followed yet); that roll-up takes it in.
      fresh = await this.exactCounts(ns, missing, undefined, this.followedOnly);
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

  /**
   * Checkpoint + settled events + live tail, for counters of one namespace (`keys`: their
   * counterKeys, when known). Each counter found pending is offered to the roll-up, or each
   * one with `offerAll`.
   */
  async exactCounts(ns: NamespaceConfig, refs: CounterRef[], keys?: readonly string[], offerAll = false): Promise<bigint[]> {
    const marks = refs.map((r, i) => this.guard.mark(r, keys?.[i]));
    const snaps = await this.store.readSnapshots({ refs, settleUs: settleUs(ns, this.skewMarginMs) });
    const later: CounterRef[] = [];
    const counts = snaps.map((s, i) => {
      const { exact } = fold(s);
      this.guard.observe(refs[i]!, exact, { mark: marks[i], clearUs: newestClearUs(s) }, keys?.[i]);
      if (pendingIn(s)) this.rollup.notify(refs[i]!);
      else if (offerAll) later.push(refs[i]!);
      return exact;
    });
    // Not pending as read: only the race a first read of an unfollowed counter can lose (see
    // getCounts), which nobody waits for. Offered urgent, the first reads of 10,000 cached
    // counters on Cassandra cost a second read each, in batches of ~12.
    if (later.length > 0) this.rollup.notifyLater(later);
    return counts;
  }

  /**
   * Reads, in one batched read per namespace, the exact counts of the counters whose adds the
   * guard cannot judge from what it knows (under a load of new counters, every item's).
   * Returns the read failure per namespace (those items are refused with it, nothing
   * written), undefined when nothing had to be read or every read succeeded.
   */
  private async prefetchBases(items: DurableItem[], keys: readonly string[]): Promise<Map<string, CounterError> | undefined> {
    const byNs = new Map<string, { ns: NamespaceConfig; refs: CounterRef[]; keys: string[]; seen: Set<string> }>();
    for (let j = 0; j < items.length; j++) {
      const { ns, event } = items[j]!;
      const key = keys[j]!;
      if (!this.guard.needsExactBase(event, key)) continue;
      let g = byNs.get(ns.name);
      if (!g) byNs.set(ns.name, (g = { ns, refs: [], keys: [], seen: new Set() }));
      if (g.seen.has(key)) continue;
      g.seen.add(key);
      g.refs.push({ namespace: ns.name, name: event.name });
      g.keys.push(key);
    }
    if (byNs.size === 0) return undefined;
    let failures: Map<string, CounterError> | undefined;
    await Promise.all(
      [...byNs.values()].map(({ ns, refs, keys: nsKeys }) =>
        this.exactCounts(ns, refs, nsKeys).then(
          () => undefined,
          (err: unknown) => void (failures ??= new Map()).set(ns.name, unavailable(err)),
        ),
      ),
    );
    return failures;
  }
}

const pendingIn = (s: CounterSnapshot): boolean => s.checkpoint.lastWriteUs > s.checkpoint.checkpointUs;
