import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../src/logger';
import type { Metrics } from '../src/metrics';
import { counterKey, type CounterRef } from '../src/model';
import { CoalescingQueue } from './queue';
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
  /** The store has no writer but this process (see Store.exclusiveWriter). */
  exclusiveStore: boolean;
}

/** Does the work for one batch of counters: read, fold, checkpoint, cache, publish (RollupJob.run). */
export type RollupWork = (refs: CounterRef[]) => Promise<void>;

/**
 * The in-process roll-up sidecar. Every write and read offers its counter here; XXHash
 * routes it to one of N bounded coalescing queues; one drainer per queue takes batches,
 * resizes them towards batchTargetMs, and after each batch pauses as long as the batch took,
 * so under load the roll-up gets at most about half of the time the request path leaves it
 * (back-pressure), while an idle service rolls a counter up within coalesceMs.
 */
export class RollupSidecar implements RollupTrigger {
  private readonly queues: CoalescingQueue[];
  private readonly batchSize: number[];
  private stopped = false;
  private running: Promise<void>[] = [];
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping = false;
  /**
   * Counters whose last roll-up saw every write this instance made to them (key -> when it
   * finished), and the counters of batches in flight (key -> written to since taken?).
   */
  private readonly fresh = new Map<string, number>();
  private readonly inflight = new Map<string, boolean>();
  /** Cuts the drainers' pauses short on stop, so shutdown never waits out a coalesce window. */
  private readonly abort = new AbortController();

  constructor(
    private readonly opts: SidecarOptions,
    private readonly route: Router,
    private readonly work: RollupWork,
    private readonly pending: PendingSource,
    private readonly metrics: Pick<Metrics, 'rollupOffers' | 'rollupCounters' | 'rollupErrors' | 'rollupBatchSeconds' | 'queueDepth'>,
    private readonly log: Pick<Logger, 'info' | 'warn'>,
  ) {
    this.queues = Array.from({ length: opts.queues }, () => new CoalescingQueue(opts.queueCapacity));
    this.batchSize = this.queues.map(() => opts.batchMin);
  }

  /** Offers a counter for roll-up. Never blocks or throws: a full queue drops the offer. */
  notify(ref: CounterRef): void {
    if (this.stopped) return;
    const key = counterKey(ref);
    this.fresh.delete(key);
    if (this.inflight.has(key)) this.inflight.set(key, true);
    const outcome = this.queues[this.route(key)]!.offer(key, ref);
    this.metrics.rollupOffers.inc({ outcome });
  }

  /**
   * Offers a counter that was read. A read only has to trigger a roll-up when the counter may
   * hold writes its last roll-up did not see: always after a write by this instance, and,
   * when other instances can write to the same store (not `exclusiveStore`), once the last
   * roll-up is older than the sweep interval. A store only this process writes to (the
   * embedded one) needs no roll-up for reads of a counter rolled up since its last write.
   */
  notifyRead(ref: CounterRef): void {
    if (this.stopped) return;
    const at = this.fresh.get(counterKey(ref));
    if (at !== undefined && (this.opts.exclusiveStore || performance.now() - at < this.opts.sweepIntervalMs)) {
      this.metrics.rollupOffers.inc({ outcome: 'fresh' });
      return;
    }
    this.notify(ref);
  }

  /** Counters waiting in all queues. */
  depth(): number {
    let n = 0;
    for (const q of this.queues) n += q.size;
    return n;
  }

  start(): void {
    this.running = this.queues.map((q, i) => this.drain(q, i));
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
    await Promise.all(this.running);
  }

  private async sweep(all: boolean): Promise<void> {
    if (this.sweeping || this.stopped) return;
    this.sweeping = true;
    try {
      const refs = await this.pending({ all });
      for (const ref of refs) this.notify(ref);
      if (all && refs.length > 0) this.log.info({ counters: refs.length }, 'queued counters left un-rolled by an earlier run');
    } catch (err) {
      this.log.warn({ err }, 'roll-up sweep failed; retrying on the next interval');
    } finally {
      this.sweeping = false;
    }
  }

  private async drain(q: CoalescingQueue, i: number): Promise<void> {
    for (;;) {
      if (q.size === 0) {
        if (this.stopped) return;
        await q.nonEmpty();
        if (this.stopped && q.size === 0) return;
        if (this.opts.coalesceMs > 0 && !this.stopped) await this.pause(this.opts.coalesceMs);
      }
      const size = this.batchSize[i]!;
      const batch = q.take(size);
      const keys = batch.map(counterKey);
      for (const k of keys) this.inflight.set(k, false);
      const started = performance.now();
      let failed = false;
      try {
        await this.work(batch);
        this.metrics.rollupCounters.inc(batch.length);
        // Bounded: past the queues' capacity, forget (reads then trigger roll-ups again).
        if (this.fresh.size > this.opts.queues * this.opts.queueCapacity) this.fresh.clear();
        const done = performance.now();
        for (const k of keys) if (this.inflight.get(k) === false) this.fresh.set(k, done);
      } catch (err) {
        // The counters stay pending in the store; the sweeper offers them again.
        this.metrics.rollupErrors.inc();
        for (const k of keys) this.fresh.delete(k);
        this.log.warn({ err, counters: batch.length }, 'roll-up batch failed');
        failed = true;
      }
      for (const k of keys) this.inflight.delete(k);
      const ms = performance.now() - started;
      this.metrics.rollupBatchSeconds.observe(ms / 1000);
      // Dynamic batch size: grow while full batches finish well under target, shrink above it.
      if (ms > this.opts.batchTargetMs) this.batchSize[i] = Math.max(this.opts.batchMin, Math.floor(size / 2));
      else if (batch.length === size && ms < this.opts.batchTargetMs / 2)
        this.batchSize[i] = Math.min(this.opts.batchMax, size * 2);
      if (this.stopped) continue;
      // After a failure wait for the store to recover (the retry pause); else back-pressure:
      // pace on the last batch's duration before taking the next one.
      if (failed) await this.pause(Math.min(1000, this.opts.sweepIntervalMs));
      else if (ms >= 1) await this.pause(Math.min(ms, 1000));
    }
  }

  /** Sleeps ms, or less when stop() aborts. */
  private pause(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }
}
