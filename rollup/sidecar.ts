import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../src/logger';
import type { Metrics } from '../src/metrics';
import { counterKey, type CounterRef } from '../src/model';
import { CoalescingQueue, type Lane } from './queue';
import type { PendingSource } from './pending';
import type { Router } from './router';
import type { RollupTrigger } from './trigger';

export interface SidecarOptions {
  queues: number;
  queueCapacity: number;
  /** How long a drainer waits after waking so that repeats of a counter coalesce. */
  coalesceMs: number;
  batchMin: number;
  batchMax: number;
  /** Batch duration the drainer steers towards when it resizes batches. */
  batchTargetMs: number;
  sweepIntervalMs: number;
  /**
   * Where other instances write to the store: how old a counter's last roll-up may be before
   * a read of it rolls it up again (see notifyRead).
   */
  readRefreshMs: number;
  /** The store has no writer but this process (see Store.exclusiveWriter). */
  exclusiveStore: boolean;
}

/**
 * Does the work for one batch of counters: read, fold, cache, publish, checkpoint
 * (RollupJob.run), calling onPublished once the converged values are out.
 */
export type RollupWork = (refs: CounterRef[], onPublished?: () => void, keys?: readonly string[], urgent?: boolean) => Promise<void>;

/**
 * How long a drainer lets background work (sweeps, read refreshes) gather while no urgent work
 * waits. A Cassandra node's request executors spin for a while after each request: under
 * reads of 10,000 cached counters, the refreshes' ~300 small reads a second kept about half a
 * core of the node busy whatever their size (measured: ~0.6 core from 300 to 100,000 single
 * reads a second, 0.09 at 10 a second). Fewer, larger reads cost the node much less.
 */
export const BACKGROUND_COALESCE_MS = 250;

/** Batches per drainer whose checkpoint writes may still be running while the next is read. */
export const WRITES_IN_FLIGHT = 4;

/**
 * Counters with subscribers in this process that get the watched lane (see watch), at most:
 * its batch is all of them, read at most every coalesceMs, so it stays a small read however
 * many counters are watched; the counters watched beyond it take the hashed queues.
 */
export const WATCHED_MAX = 64;

/**
 * The in-process roll-up sidecar. Every write and read offers its counter here (urgent), the
 * sweeps offer theirs as background work; XXHash routes it to one of N bounded coalescing
 * queues; one drainer per queue takes batches (urgent counters first) at most every
 * coalesceMs while it keeps up, resizes them towards batchTargetMs unless a backlog waits,
 * and after a full batch pauses as long as it took to converge, so a roll-up catching up
 * gets at most about half of the time the request path leaves it (back-pressure), while an
 * idle service rolls a counter up within coalesceMs.
 */
export class RollupSidecar implements RollupTrigger {
  private readonly queues: CoalescingQueue[];
  private readonly batchSize: number[];
  /**
   * Counters someone subscribed to here (key -> watch calls not ended; as many as there are
   * subscribed counters), the first WATCHED_MAX of them in the watched lane: a queue drained
   * by a drainer of its own. A subscriber waits for each converged value, and behind the
   * thousands of counters a bulk load keeps in the hashed queues (and the back-pressure
   * pauses of their drainers) a hot counter's roll-up waited hundreds of ms.
   */
  private readonly watched = new Map<string, number>();
  private readonly lane = new Set<string>();
  private readonly watchedQueue = new CoalescingQueue(WATCHED_MAX);
  private stopped = false;
  private running: Promise<void>[] = [];
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping = false;
  /**
   * Counters whose last finished roll-up saw every write this instance made to them (key ->
   * when it finished), and the counters of batches in flight (key -> written to since taken?).
   * A write does not remove its counter from `fresh`: it is queued (or in flight) from then
   * until its next roll-up, which sets or removes the entry, and a queued or in-flight counter
   * is never judged fresh (notifyRead). Only a dropped offer, which nothing will roll up but
   * the sweeper, removes it. (Removing it on every write was a look-up in a map of up to
   * queues x capacity counters per item of a bulk write.) `inflight` holds the id of the
   * newest batch that took the counter, negated once a write reached it since: a counter can
   * be in two batches at once (a drainer reads the next batch while the last one's checkpoint
   * writes run, and the watched lane beside the hashed queues), and only its newest batch
   * may judge it fresh or end its in-flight state.
   */
  private readonly fresh = new Map<string, number>();
  private readonly inflight = new Map<string, number>();
  private batchSeq = 0;
  /** Cuts the drainers' pauses short on stop, so shutdown never waits out a coalesce window. */
  private readonly abort = new AbortController();

  constructor(
    private readonly opts: SidecarOptions,
    private readonly route: Router,
    private readonly work: RollupWork,
    private readonly pending: PendingSource,
    private readonly metrics: Pick<Metrics, 'rollupOffers' | 'rollupCounters' | 'rollupErrors' | 'rollupBatchSeconds' | 'rollupLagSeconds' | 'queueDepth'>,
    private readonly log: Pick<Logger, 'info' | 'warn'>,
    /**
     * When given, a write (notifyMany) offers only the counters it says are followed (someone
     * reads them: their converged value is held here) or watched here; the others are left to
     * the sweeps (see RollupDeps.rollUnread).
     */
    private readonly followed?: (key: string) => boolean,
  ) {
    this.queues = Array.from({ length: opts.queues }, () => new CoalescingQueue(opts.queueCapacity));
    // One pause at a time per drainer (the hashed queues' and the watched lane's) listens to it.
    setMaxListeners(opts.queues + 2, this.abort.signal);
    this.batchSize = this.queues.map(() => opts.batchMin);
  }

  /** Offers a counter for roll-up. Never blocks or throws: a full queue drops the offer. */
  notify(ref: CounterRef): void {
    this.offer([ref], [counterKey(ref)], 'urgent');
  }

  /** Offers the counters of one request's writes, with their keys (see RollupTrigger). */
  notifyMany(refs: readonly CounterRef[], keys: readonly string[]): void {
    const followed = this.followed;
    if (followed === undefined) {
      this.offer(refs, keys, 'urgent');
      return;
    }
    const offered: CounterRef[] = [];
    const offeredKeys: string[] = [];
    for (let i = 0; i < refs.length; i++) {
      const key = keys[i]!;
      if (!followed(key) && !this.watched.has(key)) continue;
      offered.push(refs[i]!);
      offeredKeys.push(key);
    }
    const unfollowed = refs.length - offered.length;
    if (unfollowed > 0) this.metrics.rollupOffers.inc({ outcome: 'unfollowed' }, unfollowed);
    if (offered.length > 0) this.offer(offered, offeredKeys, 'urgent');
  }

  /** Offers counters as background work (see RollupTrigger.notifyLater). */
  notifyLater(refs: readonly CounterRef[]): void {
    if (refs.length > 0) this.offer(refs, refs.map(counterKey), 'background');
  }

  /** The offer metric is tallied per call: a labelled inc hashes its labels, and a bulk write offers 200 counters at once. */
  private offer(refs: readonly CounterRef[], keys: readonly string[], lane: Lane): void {
    if (this.stopped) return;
    const now = performance.now();
    const watching = this.lane.size > 0;
    let queued = 0;
    let coalesced = 0;
    for (let i = 0; i < refs.length; i++) {
      const key = keys[i]!;
      const batch = this.inflight.get(key);
      if (batch !== undefined && batch > 0) this.inflight.set(key, -batch);
      const q = watching && this.lane.has(key) ? this.watchedQueue : this.queues[this.route(key)]!;
      const outcome = q.offer(key, refs[i]!, lane, now);
      if (outcome === 'queued') queued++;
      else if (outcome === 'coalesced') coalesced++;
      else this.fresh.delete(key);
    }
    const dropped = refs.length - queued - coalesced;
    if (queued > 0) this.metrics.rollupOffers.inc({ outcome: 'queued' }, queued);
    if (coalesced > 0) this.metrics.rollupOffers.inc({ outcome: 'coalesced' }, coalesced);
    if (dropped > 0) this.metrics.rollupOffers.inc({ outcome: 'dropped' }, dropped);
  }

  /**
   * Offers a counter that was read. A read only has to trigger a roll-up when the counter may
   * hold writes its last roll-up did not see: always after a write by this instance, and,
   * when other instances can write to the same store (not `exclusiveStore`), once the last
   * roll-up is older than `readRefreshMs`: what bounds how long a read here can miss a write
   * made elsewhere that the writer's own roll-up did not bring (no shared cache, or its offer
   * dropped): 5 s, not the 1 s sweep interval, which cost two thirds of the node's CPU per
   * read on Cassandra. An exclusive store needs no roll-up for a counter rolled up since.
   */
  notifyRead(ref: CounterRef): void {
    if (this.stopped) return;
    const key = counterKey(ref);
    const at = this.fresh.get(key);
    if (at !== undefined && !this.watchedQueue.has(key)) {
      // Queued, or in flight with no write since: that roll-up brings what this read could.
      const batch = this.inflight.get(key);
      if (batch === undefined ? this.queues[this.route(key)]!.has(key) : batch > 0) return void this.metrics.rollupOffers.inc({ outcome: 'coalesced' });
      if (batch === undefined) {
        if (this.opts.exclusiveStore || performance.now() - at < this.opts.readRefreshMs) return void this.metrics.rollupOffers.inc({ outcome: 'fresh' });
        return this.offer([ref], [key], 'background'); // old: a refresh nobody here waits for
      }
    }
    this.notify(ref);
  }

  /**
   * A subscriber of the counter joined in this process: its writes are always followed, and
   * its roll-ups take the watched lane while fewer than WATCHED_MAX counters are in it (past
   * that, the hashed queues), until the returned function is called (once per call of watch).
   */
  watch(ref: CounterRef): () => void {
    const key = counterKey(ref);
    const n = this.watched.get(key) ?? 0;
    this.watched.set(key, n + 1);
    if (n === 0 && this.lane.size < WATCHED_MAX) this.lane.add(key);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = this.watched.get(key)! - 1;
      if (left > 0) this.watched.set(key, left);
      else {
        this.watched.delete(key);
        this.lane.delete(key);
      }
    };
  }

  /** Counters waiting in all queues. */
  depth(): number {
    let n = this.watchedQueue.size;
    for (const q of this.queues) n += q.size;
    return n;
  }

  start(): void {
    this.running = [...this.queues.map((q, i) => this.drain(q, i)), this.drain(this.watchedQueue, -1)];
    this.metrics.queueDepth = () => this.depth();
    void this.sweep(true);
    this.sweepTimer = setInterval(() => void this.sweep(false), this.opts.sweepIntervalMs);
    this.sweepTimer.unref();
  }

  /** Stops taking offers, finishes the queued work once, and waits for the drainers. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.sweepTimer);
    this.abort.abort();
    for (const q of this.queues) q.interrupt();
    this.watchedQueue.interrupt();
    await Promise.all(this.running);
  }

  private async sweep(all: boolean): Promise<void> {
    if (this.sweeping || this.stopped) return;
    this.sweeping = true;
    try {
      const refs = await this.pending({ all });
      this.offer(refs, refs.map(counterKey), 'background');
      if (all && refs.length > 0) this.log.info({ counters: refs.length }, 'queued counters left un-rolled by an earlier run');
    } catch (err) {
      this.log.warn({ err }, 'roll-up sweep failed; retrying on the next interval');
    } finally {
      this.sweeping = false;
    }
  }

  /**
   * One queue's drainer. A batch's counters are converged once the job has published them
   * (`onPublished`); their checkpoint writes then finish in the background while the next
   * batch is read, up to WRITES_IN_FLIGHT batches per drainer (bounded memory and writer
   * queue). The batch size and the back-pressure pause follow the time to publish: on the
   * embedded store a checkpoint write waits on the writer thread behind appends, and counting
   * that wait halved the batches and paused the drainer as long again, so the roll-up fell
   * behind the writes it had to follow (queues full at 1M counters, lag of seconds).
   * The watched lane's drainer (i = -1) takes all its counters at once, reads them as
   * request work (urgent), and never pauses but for coalescing: it holds at most WATCHED_MAX.
   */
  private async drain(q: CoalescingQueue, i: number): Promise<void> {
    const watchedLane = i < 0;
    const writing = new Set<Promise<void>>();
    let failed = false;
    let lastStart = -Infinity;
    let lastFull = false;
    for (;;) {
      let idle = false;
      if (q.size === 0) {
        if (this.stopped) break;
        await q.nonEmpty();
        if (this.stopped && q.size === 0) break;
        idle = true;
      }
      // After waking, wait coalesceMs; and batches start at least coalesceMs apart unless the
      // last one was full (a backlog): repeats of a counter coalesce meanwhile, and a drainer
      // that keeps up costs a few store round trips a second, not one per offer. While only
      // background work waits, BACKGROUND_COALESCE_MS instead, cut short by urgent work.
      if (idle || !lastFull) {
        const from = idle ? performance.now() : lastStart;
        while (!this.stopped) {
          const urgent = watchedLane || q.urgentSize > 0;
          const left = from + (urgent ? this.opts.coalesceMs : Math.max(this.opts.coalesceMs, BACKGROUND_COALESCE_MS)) - performance.now();
          if (left <= 0) break;
          if (urgent) {
            await this.pause(left);
            break;
          }
          await this.pauseUnlessUrgent(left, q);
        }
      }
      while (writing.size >= WRITES_IN_FLIGHT) await Promise.race(writing);
      // After a failure (of a read, or of a write that finished after its publish) wait for
      // the store to recover: the retry pause.
      if (failed) {
        failed = false;
        if (!this.stopped) await this.pause(Math.min(1000, this.opts.sweepIntervalMs));
      }
      // Background work alone on a store others write to is taken whole (up to batchMax):
      // nobody waits for it, and a Cassandra batch's time is its round trips, not its size;
      // the resizing below (batchMin once batches take past batchTargetMs) only adds requests.
      const backgroundOnly = !watchedLane && !this.opts.exclusiveStore && q.urgentSize === 0;
      const size = watchedLane ? WATCHED_MAX : backgroundOnly ? this.opts.batchMax : this.batchSize[i]!;
      const since: number[] = [];
      const keys: string[] = [];
      const batch = q.take(size, since, keys);
      const id = ++this.batchSeq;
      for (const k of keys) this.inflight.set(k, id);
      const started = performance.now();
      lastStart = started;
      // The watched lane is never behind: it holds at most a batch, read at most every coalesceMs.
      lastFull = !watchedLane && batch.length === size;
      let published = NaN;
      let onPublished!: () => void;
      const converged = new Promise<void>((r) => (onPublished = r));
      const done = this.work(batch, () => {
        published = performance.now();
        for (const t of since) if (!Number.isNaN(t)) this.metrics.rollupLagSeconds.observe((published - t) / 1000);
        onPublished();
      }, keys, watchedLane).then(
        () => {
          this.metrics.rollupCounters.inc(batch.length);
          // Bounded: past the queues' capacity, forget (reads then trigger roll-ups again).
          if (this.fresh.size > this.opts.queues * this.opts.queueCapacity) this.fresh.clear();
          const at = performance.now();
          for (const k of keys) if (this.inflight.get(k) === id) this.fresh.set(k, at);
        },
        (err: unknown) => {
          // The counters stay pending in the store; the sweeper offers them again.
          this.metrics.rollupErrors.inc();
          for (const k of keys) this.fresh.delete(k);
          this.log.warn({ err, counters: batch.length }, 'roll-up batch failed');
          failed = true;
        },
      ).finally(() => {
        for (const k of keys) {
          const b = this.inflight.get(k);
          if (b === id || b === -id) this.inflight.delete(k);
        }
        this.metrics.rollupBatchSeconds.observe((performance.now() - started) / 1000);
        writing.delete(done);
      });
      writing.add(done);
      await Promise.race([converged, done]);
      const ms = (Number.isNaN(published) ? performance.now() : published) - started;
      if (watchedLane) continue;
      // Dynamic batch size: grow while full batches converge well under target, shrink above
      // it, but never while a backlog waits: then a smaller batch only lowers the throughput
      // (the counters wait in the queue instead), and the batches' time is mostly waiting on
      // a busy store or machine, not their size.
      if (ms > this.opts.batchTargetMs && q.size < size) this.batchSize[i] = Math.max(this.opts.batchMin, Math.floor(size / 2));
      else if (lastFull && (ms < this.opts.batchTargetMs / 2 || q.size >= size)) this.batchSize[i] = Math.min(this.opts.batchMax, size * 2);
      if (this.stopped) continue;
      // Back-pressure: after a full batch (a backlog) pause as long as it took to converge before the next one, so
      // a roll-up catching up takes at most about half the time. After a batch that emptied
      // the queue there is nothing to pace: every counter offered is rolled up either way, and
      // a pause would only add its length to the lag of the next ones.
      if (!failed && lastFull && ms >= 1) await this.pause(Math.min(ms, 1000));
    }
    await Promise.all(writing);
  }

  /**
   * Sleeps ms, or less when urgent work reaches q or stop() aborts; leaves no timer, listener
   * or waiter behind either way (a race of pause() and a promise left the timer and its abort
   * listener until the timer ran: eleven at once tripped Node's listener-leak warning).
   */
  private pauseUnlessUrgent(ms: number, q: CoalescingQueue): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.abort.signal;
      let cancel = (): void => {};
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        cancel();
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      cancel = q.onUrgent(done);
    });
  }

  /** Sleeps ms, or less when stop() aborts. */
  private pause(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }
}
