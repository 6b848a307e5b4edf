import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { fold } from '../../rollup/fold';
import type { RollupSidecar } from '../../rollup/sidecar';
import type { BestEffortCache, RollupCache } from '../cache/types';
import { msToUs, nowUs } from '../clock';
import { CounterError, ErrorCode, unavailable } from '../errors';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import {
  counterKey,
  counterOf,
  groupBy,
  inInt64,
  type CounterEvent,
  type CounterModel,
  type CounterRef,
  type NamespaceConfig,
} from '../model';
import type { PubSub } from '../pubsub/types';
import type { AppendResult, CheckpointWrite, CounterSnapshot, Store } from '../store/types';
import { checkGenerationTime, checkName, checkToken } from '../validate';
import type { NamespaceRegistry } from './namespaces';
import { PublishThrottle } from './publishThrottle';

export interface TokenInput {
  token: string;
  generationTime: Date;
}

export interface AddInput {
  namespace: string;
  name: string;
  delta: bigint;
  idempotencyToken?: TokenInput | null;
}

export interface ClearInput {
  namespace: string;
  name: string;
  idempotencyToken?: TokenInput | null;
}

export interface WriteResult {
  counter: CounterModel;
  applied: boolean;
}

export interface ServiceOptions {
  skewMarginMs: number;
  publishThrottleMs: number;
  localCacheSize: number;
}

/** Past this magnitude the local estimate is not trusted for the overflow check: read exactly. */
const NEAR_EDGE = 1n << 62n;
const near = (v: bigint): boolean => v >= NEAR_EDGE || v <= -NEAR_EDGE;

/**
 * Smallest step of a checkpoint that does not absorb the counter's last write (see fold):
 * roll-ups stay as frequent as convergence needs, checkpoint writes do not follow them.
 */
const CHECKPOINT_STEP_US = 1_000_000;

/** How stale the namespace list of background work (sweeps, purges) may be. */
const NAMESPACE_RELIST_MS = 30_000;

/**
 * The counter operations of the contract, per namespace mode, on top of the store seams.
 *
 * - BEST_EFFORT: the cache (memory or Redis); no events, no roll-up.
 * - EVENTUAL: a durable event per write; reads return the last rolled-up value from the
 *   roll-up cache (computing it once when the cache has none) and trigger a roll-up.
 * - ACCURATE: like EVENTUAL, but reads fold checkpoint + live events every time.
 */
export class CounterService {
  private sidecar: RollupSidecar | undefined;
  /** Last exact value this process saw per counter: the overflow check's estimate. */
  private readonly latest: LRUCache<string, bigint>;
  /**
   * Deltas of durable adds that passed the overflow check but are not appended yet, per
   * counter (positive and negative sums apart): the check counts them, so that concurrent
   * adds, or several items of one bulk request, cannot together leave the 64-bit range.
   */
  private readonly inflight = new Map<string, { pos: bigint; neg: bigint }>();
  private readonly throttle: PublishThrottle;
  private readonly instanceId = randomBytes(6).toString('base64url');
  private seq = 0;

  constructor(
    private readonly store: Store,
    readonly namespaces: NamespaceRegistry,
    private readonly bestEffort: BestEffortCache,
    private readonly rollupCache: RollupCache,
    readonly pubsub: PubSub,
    readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly opts: ServiceOptions,
  ) {
    this.latest = new LRUCache({ max: opts.localCacheSize });
    this.throttle = new PublishThrottle(opts.publishThrottleMs, (u) => pubsub.publish(u));
  }

  attachSidecar(sidecar: RollupSidecar): void {
    this.sidecar = sidecar;
  }

  // ---- writes -----------------------------------------------------------------------

  /** AddCount. */
  async add(input: AddInput): Promise<WriteResult> {
    const [r] = await this.addMany([input]);
    if (r instanceof Error) throw r;
    return r!;
  }

  /**
   * Many AddCounts: every item is validated on its own; the durable ones go to the store in
   * one append (one group commit). Returns, in input order, a result or the item's refusal.
   */
  async addMany(inputs: AddInput[]): Promise<(WriteResult | CounterError)[]> {
    const out: (WriteResult | CounterError)[] = new Array(inputs.length);
    const candidates: DurableItem[] = [];
    const cached: Promise<void>[] = [];
    const nowMs = Date.now();
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i]!;
      try {
        const ns = this.namespaces.cached(input.namespace) ?? (await this.namespaces.require(input.namespace));
        const event = this.toEvent(ns, input, false, input.delta, nowMs);
        if (ns.mode === 'BEST_EFFORT') {
          cached.push(this.addBestEffort(ns, event, input.idempotencyToken).then((r) => void (out[i] = r), (e) => void (out[i] = asRefusal(e))));
        } else {
          candidates.push({ i, ns, event });
        }
      } catch (err) {
        out[i] = asRefusal(err);
      }
    }
    const durable: DurableItem[] = [];
    const unreadable = await this.prefetchEstimates(candidates);
    // Checked one after another so that items of this request on the same counter see each
    // other's deltas (hold) as well as those of concurrent requests.
    for (const c of candidates) {
      try {
        const failed = unreadable.get(c.ns.name);
        if (failed) throw failed;
        this.checkOverflow(c.ns, c.event);
        this.hold(c.event, 1n);
        durable.push(c);
      } catch (err) {
        out[c.i] = asRefusal(err);
      }
    }
    if (durable.length > 0) {
      let results: AppendResult[];
      try {
        results = await this.call('append', durable.length, () => this.store.append(durable.map((d) => d.event)));
      } catch (err) {
        // The store refused the whole group (nothing of it written): each durable item gets the
        // refusal, while the BEST_EFFORT items of the same request keep their own outcome
        // (they may already be applied, so the request must not fail as a whole).
        for (const d of durable) out[d.i] = asRefusal(err);
        results = [];
      } finally {
        for (const d of durable) this.hold(d.event, -1n);
      }
      for (let j = 0; j < results.length; j++) {
        const { i, ns, event } = durable[j]!;
        const applied = results[j]!.applied;
        this.metrics.writes.inc({ mode: ns.mode, outcome: applied ? 'applied' : 'duplicate' });
        if (applied) this.bumpEstimate(event);
        this.sidecar?.notify(event);
        out[i] = { counter: counterOf(ns, event.name), applied };
      }
    }
    await Promise.all(cached);
    return out;
  }

  /** AddAndGetCount: the returned count includes this add, in every mode. */
  async addAndGet(input: AddInput): Promise<CounterModel> {
    const r = await this.add(input);
    if (r.counter.count !== undefined) return r.counter;
    return this.withExactCount(await this.namespaces.require(r.counter.namespace), r.counter.name);
  }

  /** ClearCount: zero as of the token's generation time (or now). */
  async clear(input: ClearInput): Promise<WriteResult> {
    const ns = await this.namespaces.require(input.namespace);
    const event = this.toEvent(ns, input, true, 0n, Date.now());
    if (ns.mode === 'BEST_EFFORT') {
      const { applied, count } = await this.call('cacheClear', 1, () =>
        this.bestEffort.clear(event, event.timeUs, this.watermarkTtlMs(ns, event), this.dedupe(ns, event, input.idempotencyToken)),
      );
      this.metrics.writes.inc({ mode: ns.mode, outcome: applied ? 'applied' : 'duplicate' });
      this.throttle.offer({ namespace: ns.name, name: event.name, count, asOfMs: Date.now() });
      return { counter: counterOf(ns, event.name, count), applied };
    }
    const [result] = await this.call('append', 1, () => this.store.append([event]));
    this.metrics.writes.inc({ mode: ns.mode, outcome: result!.applied ? 'applied' : 'duplicate' });
    this.sidecar?.notify(event);
    const counter = await this.withExactCount(ns, event.name);
    return { counter, applied: result!.applied };
  }

  private async addBestEffort(ns: NamespaceConfig, event: CounterEvent, token: TokenInput | null | undefined): Promise<WriteResult> {
    const r = await this.call('cacheAdd', 1, () =>
      this.bestEffort.add(event, event.delta, event.timeUs, ns.ttlSeconds, this.dedupe(ns, event, token)),
    );
    this.metrics.writes.inc({ mode: ns.mode, outcome: r.applied ? 'applied' : r.superseded ? 'superseded' : 'duplicate' });
    if (r.applied) this.throttle.offer({ namespace: ns.name, name: event.name, count: r.count, asOfMs: Date.now() });
    // An add generated at or before a clear is accepted (not a retry) but does not count: as
    // in the durable modes, the payload says applied and the count leaves it out.
    const applied = r.applied || r.superseded === true;
    return { counter: counterOf(ns, event.name, r.count), applied };
  }

  /**
   * How long a BEST_EFFORT clear's watermark must be kept: an add at or before the clear's
   * time can be accepted (on any instance whose clock is within the skew margin of ours)
   * only until that time + acceptLimit + skew margin; after that it would be refused anyway.
   */
  private watermarkTtlMs(ns: NamespaceConfig, event: CounterEvent): number {
    return Math.max(1, Math.ceil(event.timeUs / 1000) + ns.acceptLimitMs + this.opts.skewMarginMs + 1 - Date.now());
  }

  /**
   * Best-effort token deduplication: a token can only be accepted within acceptLimit of the
   * server's clock on either side, so remembering it for twice that (plus the skew margin)
   * covers every retry that could still be accepted.
   */
  private dedupe(ns: NamespaceConfig, event: CounterEvent, token: TokenInput | null | undefined) {
    if (!token) return null;
    return {
      key: `${ns.name}\u0000${event.name}\u0000${token.token}\u0000${event.timeUs}`,
      ttlMs: 2 * ns.acceptLimitMs + this.opts.skewMarginMs,
    };
  }

  private toEvent(
    ns: NamespaceConfig,
    input: { name: string; idempotencyToken?: TokenInput | null },
    clear: boolean,
    delta: bigint,
    nowMs: number,
  ): CounterEvent {
    checkName('name', input.name);
    const token = input.idempotencyToken;
    if (token) {
      checkToken(token.token);
      checkGenerationTime(token.generationTime, ns, nowMs);
      return { namespace: ns.name, name: input.name, timeUs: msToUs(token.generationTime.getTime()), eventId: token.token, clear, delta };
    }
    // No token: the server makes one that no retry will ever repeat.
    return { namespace: ns.name, name: input.name, timeUs: nowUs(), eventId: `~${this.instanceId}.${(this.seq++).toString(36)}`, clear, delta };
  }

  /**
   * Whether this process can judge an add's overflow from what it knows (the counter's last
   * known value plus the adds in flight): not when it has no value for the counter, which
   * may then be anywhere, nor when a value involved is near the edge of the range.
   */
  private needsExactBase(event: CounterEvent): boolean {
    const key = counterKey(event);
    const base = this.latest.get(key);
    const f = this.inflight.get(key);
    return base === undefined || near(base) || near(event.delta) || (f !== undefined && (near(f.pos) || near(f.neg)));
  }

  /**
   * Reads, in one batched read per namespace, the exact counts of the counters whose adds
   * cannot be judged from the local estimate; afterwards `latest` holds them. Returns the
   * read failure per namespace (those items are refused with it, nothing written).
   */
  private async prefetchEstimates(items: DurableItem[]): Promise<Map<string, CounterError>> {
    const byNs = new Map<string, { ns: NamespaceConfig; refs: Map<string, CounterRef> }>();
    for (const { ns, event } of items) {
      if (!this.needsExactBase(event)) continue;
      let g = byNs.get(ns.name);
      if (!g) byNs.set(ns.name, (g = { ns, refs: new Map() }));
      g.refs.set(counterKey(event), { namespace: ns.name, name: event.name });
    }
    const failures = new Map<string, CounterError>();
    await Promise.all(
      [...byNs.values()].map(({ ns, refs }) =>
        this.exactCounts(ns, [...refs.values()]).then(
          () => undefined,
          (err) => void failures.set(ns.name, asRefusal(err)),
        ),
      ),
    );
    return failures;
  }

  /**
   * Refuses a durable add whose result would leave the 64-bit range, as far as this process
   * can know at write time: its last known value of the counter (exact when
   * prefetchEstimates had to read it) plus the adds in flight, in either direction.
   */
  private checkOverflow(ns: NamespaceConfig, event: CounterEvent): void {
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
  }

  /** Adds (sign 1n) or removes (-1n) an add's delta to the counter's in-flight sums. */
  private hold(event: CounterEvent, sign: bigint): void {
    const key = counterKey(event);
    const f = this.inflight.get(key) ?? { pos: 0n, neg: 0n };
    if (event.delta > 0n) f.pos += sign * event.delta;
    else f.neg += sign * event.delta;
    if (f.pos === 0n && f.neg === 0n) this.inflight.delete(key);
    else this.inflight.set(key, f);
  }

  private bumpEstimate(event: CounterEvent): void {
    const key = counterKey(event);
    const cur = this.latest.get(key);
    if (cur !== undefined) this.latest.set(key, cur + event.delta);
  }

  // ---- reads ------------------------------------------------------------------------

  /** GetCount for many counters of one namespace, batched: one store or cache call. */
  async getCounts(ns: NamespaceConfig, names: readonly string[]): Promise<bigint[]> {
    const refs = names.map((name) => ({ namespace: ns.name, name: checkName('name', name) }));
    switch (ns.mode) {
      case 'BEST_EFFORT':
        return this.call('cacheGet', refs.length, () => this.bestEffort.get(refs));
      case 'ACCURATE':
        return this.exactCounts(ns, refs);
      case 'EVENTUAL': {
        const cached = await this.call('rollupCacheGet', refs.length, () => this.rollupCache.get(refs));
        const missing = refs.filter((_, i) => cached[i] === undefined);
        let fresh: bigint[] = [];
        if (missing.length > 0) {
          const asOfMs = Date.now();
          fresh = await this.exactCounts(ns, missing);
          await this.call('rollupCacheSet', missing.length, () =>
            this.rollupCache.setMany(missing.map((ref, i) => ({ ref, value: fresh[i]! })), asOfMs),
          );
        }
        // Every read triggers a roll-up, so a quiet counter converges by itself.
        // (A counter rolled up since its last write needs none: see RollupSidecar.notifyRead.)
        for (const ref of refs) this.sidecar?.notifyRead(ref);
        let k = 0;
        return cached.map((v) => v ?? fresh[k++]!);
      }
    }
  }

  /** Checkpoint + settled events + live tail, for counters of one namespace. */
  async exactCounts(ns: NamespaceConfig, refs: CounterRef[]): Promise<bigint[]> {
    const snaps = await this.call('readSnapshots', refs.length, () => this.store.readSnapshots(refs, this.settleUs(ns)));
    return snaps.map((s, i) => {
      const { exact } = fold(s);
      this.latest.set(counterKey(refs[i]!), exact);
      if (pendingIn(s)) this.sidecar?.notify(refs[i]!);
      return exact;
    });
  }

  private async withExactCount(ns: NamespaceConfig, name: string): Promise<CounterModel> {
    const [count] = await this.exactCounts(ns, [{ namespace: ns.name, name }]);
    return counterOf(ns, name, count!);
  }

  /**
   * Events at or before this instant can no longer be written (accept limit) on any instance
   * whose clock is within the skew margin of ours: windows up to it are immutable.
   */
  private settleUs(ns: NamespaceConfig): number {
    return msToUs(Date.now() - ns.acceptLimitMs - this.opts.skewMarginMs);
  }

  // ---- roll-up ----------------------------------------------------------------------

  /**
   * The roll-up of one batch (the sidecar's work): per namespace, one batched snapshot read,
   * the fold, the checkpoints that can move, the cached value, and a publish for each counter
   * whose converged value changed.
   */
  readonly rollup = async (refs: CounterRef[]): Promise<void> => {
    for (const [name, group] of groupBy(refs, (r) => r.namespace)) {
      const ns = await this.namespaces.find(name);
      if (!ns || ns.mode === 'BEST_EFFORT') continue;
      const asOfMs = Date.now();
      const snaps = await this.call('readSnapshots', group.length, () => this.store.readSnapshots(group, this.settleUs(ns)));
      const folded = snaps.map((snap) => fold(snap, CHECKPOINT_STEP_US));
      const checkpoints: CheckpointWrite[] = [];
      for (let i = 0; i < group.length; i++) {
        const c = folded[i]!.checkpoint;
        if (c) checkpoints.push({ ref: group[i]!, ...c });
        this.latest.set(counterKey(group[i]!), folded[i]!.exact);
      }
      if (checkpoints.length > 0) {
        await this.call('writeCheckpoints', checkpoints.length, () => this.store.writeCheckpoints(checkpoints));
        this.metrics.rollupCheckpoints.inc(checkpoints.length);
      }
      const changed = await this.call('rollupCacheSet', group.length, () =>
        this.rollupCache.setMany(group.map((ref, i) => ({ ref, value: folded[i]!.exact })), asOfMs),
      );
      for (let i = 0; i < group.length; i++) {
        if (changed[i]) this.pubsub.publish({ namespace: ns.name, name: group[i]!.name, count: folded[i]!.exact, asOfMs });
      }
    }
  };

  /** Durable un-rolled counters, for the sidecar's sweeps (see PendingSource). */
  readonly pending = async ({ all }: { all: boolean }): Promise<CounterRef[]> => {
    const out: CounterRef[] = [];
    for (const ns of await this.namespaces.list(NAMESPACE_RELIST_MS)) {
      if (ns.mode === 'BEST_EFFORT') continue;
      const upTo = all ? Number.MAX_SAFE_INTEGER : this.settleUs(ns);
      out.push(...(await this.call('listPending', 1, () => this.store.listPending(ns.name, upTo, 10_000))));
    }
    return out;
  };

  /** Deletes events past retention that are already checkpointed. */
  async purgeExpired(): Promise<number> {
    let n = 0;
    for (const ns of await this.namespaces.list(NAMESPACE_RELIST_MS)) {
      if (ns.mode === 'BEST_EFFORT') continue;
      n += await this.call('purge', 1, () => this.store.purge(ns, msToUs(Date.now() - ns.retentionSeconds * 1000)));
    }
    return n;
  }

  async close(): Promise<void> {
    this.throttle.flush();
  }

  /** Counts a store/cache call in metrics and turns a backend failure into UNAVAILABLE. */
  private async call<T>(op: string, counters: number, fn: () => Promise<T>): Promise<T> {
    this.metrics.storeCalls.inc({ op });
    this.metrics.storeCounters.inc({ op }, counters);
    try {
      return await fn();
    } catch (err) {
      if (err instanceof CounterError) throw err;
      this.log.error({ err, op }, 'backing store call failed');
      throw unavailable(err);
    }
  }
}

interface DurableItem {
  i: number;
  ns: NamespaceConfig;
  event: CounterEvent;
}

const pendingIn = (s: CounterSnapshot): boolean => s.rollup.lastWriteUs > s.rollup.checkpointUs;

function asRefusal(err: unknown): CounterError {
  if (err instanceof CounterError) return err;
  return unavailable(err);
}
