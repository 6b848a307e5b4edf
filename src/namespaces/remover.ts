import type { Logger } from '../logger';
import type { DeletedNamespace, Store } from '../store/types';

/** How often the store is asked for tombstoned namespaces (deletions through other instances, a removal that failed). */
export const REMOVAL_CHECK_MS = 10_000;

/** A cache with entries per namespace (the best-effort counters, the converged values). */
export interface NamespaceCache {
  clearNamespace(namespace: string): Promise<number>;
}

export interface RemoverDeps {
  store: Pick<Store, 'listDeletedNamespaces' | 'removeNamespaceData' | 'dropNamespace'>;
  caches: NamespaceCache[];
  /** Forgets this instance's in-memory state of the namespace (overflow guard, …). */
  forget: (namespace: string) => void;
  /**
   * How long after its tombstone a namespace's removal starts (NAMESPACE_DELETE_GRACE_MS):
   * longer than the namespace relisting of other instances plus an append's bound, so that
   * none of them can still write to it when its data goes.
   */
  graceMs: number;
  checkEveryMs?: number;
  /**
   * Run with every check: the registry's relisting (at most every NAMESPACE_RELIST_MS), so a
   * namespace deleted through another instance leaves this one's cache within that interval
   * plus one check, however rarely the roll-up sweeps (which relist too) run.
   */
  relist?: () => Promise<unknown>;
  log: Pick<Logger, 'info' | 'warn'>;
}

/** When a deleted namespace's removal may start. */
export const removalDueAt = (d: DeletedNamespace, graceMs: number): number => d.deletedAtMs + graceMs;

/**
 * deleteNamespace's background part: for every tombstoned namespace whose grace has passed,
 * removes its data in the store (in chunks, see Store.removeNamespaceData), its cache entries,
 * and then its row, which frees the name. Resumable: the tombstone is the durable record, so
 * a removal cut short (a crash, a store error) is found again at the next start or the next
 * check and simply run again (every step is idempotent). Several instances may run the same
 * removal at once: the work is repeated, never wrong.
 */
export class NamespaceRemover {
  private readonly running = new Map<string, Promise<void>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private interval: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly deps: RemoverDeps) {}

  /** Resumes the removals a previous run left (at once), then checks every checkEveryMs. */
  start(): void {
    void this.check();
    this.interval = setInterval(() => void this.check(), this.deps.checkEveryMs ?? REMOVAL_CHECK_MS);
    this.interval.unref();
  }

  /** Stops scheduling; a removal in flight ends with its current store call (the next start resumes it). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.interval);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Schedules the removal of a namespace deleted through this instance at the end of its grace. */
  schedule(d: DeletedNamespace): void {
    if (this.stopped || this.running.has(d.name) || this.timers.has(d.name)) return;
    const wait = removalDueAt(d, this.deps.graceMs) - Date.now();
    if (wait <= 0) {
      void this.remove(d.name);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(d.name);
      void this.remove(d.name);
    }, wait);
    timer.unref();
    this.timers.set(d.name, timer);
  }

  /** Every tombstoned namespace: removed when due, else scheduled. */
  async check(): Promise<void> {
    if (this.stopped) return;
    let deleted: DeletedNamespace[];
    try {
      await this.deps.relist?.();
      deleted = await this.deps.store.listDeletedNamespaces();
    } catch (err) {
      this.deps.log.warn({ err }, 'listing the namespaces (or those being deleted) failed; retried at the next check');
      return;
    }
    for (const d of deleted) this.schedule(d);
  }

  /** Resolves when the removals in flight have ended (tests). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  /** One namespace's removal; never throws (a failure is logged and retried by the next check). */
  private remove(name: string): Promise<void> {
    const existing = this.running.get(name);
    if (existing) return existing;
    const run = this.run(name)
      .catch((err: unknown) => {
        if (!this.stopped) this.deps.log.warn({ err, namespace: name }, 'namespace removal failed; retried at the next check');
      })
      .finally(() => this.running.delete(name));
    this.running.set(name, run);
    return run;
  }

  private async run(name: string): Promise<void> {
    const { store, caches, forget, log } = this.deps;
    const started = Date.now();
    forget(name);
    const { removed } = await store.removeNamespaceData(name);
    // The caches after the store: the latest point, so nothing of the old namespace (a roll-up
    // batch that read it before the tombstone) can be cached after the clear.
    let cached = 0;
    for (const c of caches) cached += await c.clearNamespace(name);
    // Last: this frees the name, so a re-created namespace of it starts from nothing.
    await store.dropNamespace(name);
    forget(name);
    log.info({ namespace: name, removed, cached, ms: Date.now() - started }, 'namespace removed');
  }
}
