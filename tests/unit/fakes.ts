/**
 * In-memory fakes of the seams (Store, ConvergedCache, PubSub, namespaces) and of the metrics
 * and logger objects, for unit tests of the counter service and the roll-up: no Redis,
 * Cassandra or network. They follow the seams' documented rules closely enough for the
 * logic under test, and record what they were asked so tests can assert on it.
 */
import type { ConvergedCache, ConvergedUpdate, ConvergedUpdateResult } from '../../src/cache/types';
import { CounterError, namespaceNotFound } from '../../src/errors';
import { namespaceBeingDeleted } from '../../src/store/deleting';
import type { Logger } from '../../src/logger';
import type { Metrics } from '../../src/metrics';
import { counterKey, type CounterEvent, type CounterRef, type NamespaceConfig } from '../../src/model';
import type { CounterUpdate, Listener, PubSub } from '../../src/pubsub/types';
import type {
  DeletedNamespace,
  AppendResult,
  CheckpointRow,
  CheckpointWrite,
  CounterSnapshot,
  PendingQuery,
  PurgeQuery,
  PurgeResult,
  SnapshotQuery,
  Store,
  WindowSummary,
} from '../../src/store/types';

// ---- namespaces ---------------------------------------------------------------------------

/** A namespace config with the contract's defaults, overridable. */
export const nsConfig = (name: string, mode: NamespaceConfig['mode'], over: Partial<NamespaceConfig> = {}): NamespaceConfig => ({
  name,
  mode,
  ttlSeconds: null,
  retentionSeconds: 7 * 24 * 3600,
  acceptLimitMs: 5000,
  ...over,
});

/** The registry's lookups (find/list/cached/require) over a fixed set of namespaces. */
export class FakeNamespaces {
  readonly byName = new Map<string, NamespaceConfig>();
  readonly listCalls: number[] = [];

  constructor(list: NamespaceConfig[]) {
    for (const ns of list) this.byName.set(ns.name, ns);
  }

  async find(name: string): Promise<NamespaceConfig | undefined> {
    return this.byName.get(name);
  }

  async list(maxAgeMs = 0): Promise<NamespaceConfig[]> {
    this.listCalls.push(maxAgeMs);
    return [...this.byName.values()];
  }

  cached(name: string): NamespaceConfig | undefined {
    return this.byName.get(name);
  }

  async require(name: string): Promise<NamespaceConfig> {
    const ns = this.byName.get(name);
    if (!ns) throw namespaceNotFound(name);
    return ns;
  }
}

// ---- metrics and logs ---------------------------------------------------------------------

type Labels = Record<string, string>;

/** A prom-client Counter stand-in: inc(n?) or inc(labels, n?), every call recorded. */
export class FakeCounter {
  readonly calls: { labels: Labels; n: number }[] = [];

  inc(a?: Labels | number, b?: number): void {
    if (typeof a === 'object') this.calls.push({ labels: a, n: b ?? 1 });
    else this.calls.push({ labels: {}, n: a ?? 1 });
  }

  /** The sum over calls whose labels include `labels`. */
  total(labels: Labels = {}): number {
    return this.calls
      .filter((c) => Object.entries(labels).every(([k, v]) => c.labels[k] === v))
      .reduce((s, c) => s + c.n, 0);
  }
}

export class FakeHistogram {
  readonly values: number[] = [];

  observe(v: number): void {
    this.values.push(v);
  }
}

export class FakeGauge {
  value = 0;
  incs = 0;
  decs = 0;

  inc(): void {
    this.value++;
    this.incs++;
  }

  dec(): void {
    this.value--;
    this.decs++;
  }
}

export interface FakeMetrics {
  storeCalls: FakeCounter;
  storeCounters: FakeCounter;
  writes: FakeCounter;
  rollupOffers: FakeCounter;
  rollupCounters: FakeCounter;
  rollupCheckpoints: FakeCounter;
  rollupBatchSeconds: FakeHistogram;
  rollupLagSeconds: FakeHistogram;
  rollupErrors: FakeCounter;
  subscriptions: FakeGauge;
  queueDepth: () => number;
}

export const fakeMetrics = (): FakeMetrics => ({
  storeCalls: new FakeCounter(),
  storeCounters: new FakeCounter(),
  writes: new FakeCounter(),
  rollupOffers: new FakeCounter(),
  rollupCounters: new FakeCounter(),
  rollupCheckpoints: new FakeCounter(),
  rollupBatchSeconds: new FakeHistogram(),
  rollupLagSeconds: new FakeHistogram(),
  rollupErrors: new FakeCounter(),
  subscriptions: new FakeGauge(),
  queueDepth: () => 0,
});

/** The fake where a module wants (part of) the real Metrics type. */
export const asMetrics = (m: FakeMetrics): Metrics => m as unknown as Metrics;

export interface FakeLog {
  info: jest.Mock;
  warn: jest.Mock;
  error: jest.Mock;
  child: jest.Mock;
}

/** A logger whose calls are jest mocks; child() returns the same logger. */
export function fakeLog(): FakeLog {
  const log: FakeLog = { info: jest.fn(), warn: jest.fn(), error: jest.fn(), child: jest.fn() };
  log.child.mockReturnValue(log);
  return log;
}

export const asLogger = (l: FakeLog): Logger => l as unknown as Logger;

// ---- store --------------------------------------------------------------------------------

const EMPTY: WindowSummary = { clearUs: null, sum: 0n, events: 0 };
const ZERO: CheckpointRow = { count: 0n, checkpointUs: 0, lastWriteUs: 0 };

/**
 * The Store's rules in memory: idempotent appends on (namespace, name, timeUs, eventId),
 * snapshots split at the checkpoint and settleUs, checkpoints that never move back, pending
 * counters (last write past the checkpoint) oldest first, purge of checkpointed events.
 * `failAppend` / `failRead` make the next calls reject (until cleared).
 */
export class MemoryStore implements Store {
  readonly kind = 'fake';
  readonly events = new Map<string, CounterEvent[]>();
  readonly rows = new Map<string, CheckpointRow & CounterRef>();
  readonly namespaces = new Map<string, NamespaceConfig>();
  /** Tombstoned namespaces (deleteNamespace), by name: when. */
  readonly deleted = new Map<string, number>();
  failAppend: Error | null = null;
  failRead: Error | null = null;
  failRemove: Error | null = null;
  private readonly seen = new Set<string>();

  constructor(readonly exclusiveWriter = false) {}

  async listNamespaces(): Promise<NamespaceConfig[]> {
    return [...this.namespaces.values()];
  }

  async getNamespace(name: string): Promise<NamespaceConfig | undefined> {
    return this.namespaces.get(name);
  }

  async createNamespace(ns: NamespaceConfig): Promise<NamespaceConfig> {
    if (this.deleted.has(ns.name)) throw namespaceBeingDeleted(ns.name);
    if (!this.namespaces.has(ns.name)) this.namespaces.set(ns.name, ns);
    return this.namespaces.get(ns.name)!;
  }

  async updateNamespace(ns: NamespaceConfig): Promise<NamespaceConfig | undefined> {
    const old = this.namespaces.get(ns.name);
    if (old?.mode === ns.mode) this.namespaces.set(ns.name, ns);
    return this.namespaces.get(ns.name);
  }

  async markNamespaceDeleted(name: string, deletedAtMs: number): Promise<boolean> {
    if (!this.namespaces.delete(name)) return false;
    this.deleted.set(name, deletedAtMs);
    return true;
  }

  async listDeletedNamespaces(): Promise<DeletedNamespace[]> {
    return [...this.deleted].map(([name, deletedAtMs]) => ({ name, deletedAtMs }));
  }

  async dropNamespace(name: string): Promise<void> {
    this.deleted.delete(name);
  }

  async removeNamespaceData(name: string): Promise<{ removed: number }> {
    if (this.failRemove) throw this.failRemove;
    let removed = 0;
    for (const [key, row] of this.rows) {
      if (row.namespace !== name) continue;
      removed += 1 + (this.events.get(key)?.length ?? 0);
      this.rows.delete(key);
      this.events.delete(key);
    }
    return { removed };
  }

  async append(events: CounterEvent[]): Promise<AppendResult[]> {
    if (this.failAppend) throw this.failAppend;
    return events.map((e) => {
      const id = `${counterKey(e)}\u0000${e.timeUs}\u0000${e.eventId}`;
      if (this.seen.has(id)) return { applied: false };
      this.seen.add(id);
      const key = counterKey(e);
      const list = this.events.get(key) ?? [];
      list.push(e);
      this.events.set(key, list);
      const row = this.rows.get(key) ?? { ...ZERO, namespace: e.namespace, name: e.name };
      row.lastWriteUs = Math.max(row.lastWriteUs, e.timeUs);
      this.rows.set(key, row);
      return { applied: true };
    });
  }

  async readSnapshots({ refs, settleUs }: SnapshotQuery): Promise<CounterSnapshot[]> {
    if (this.failRead) throw this.failRead;
    return refs.map((ref) => {
      const row = this.rows.get(counterKey(ref));
      const checkpoint: CheckpointRow = row ? { count: row.count, checkpointUs: row.checkpointUs, lastWriteUs: row.lastWriteUs } : { ...ZERO };
      const split = Math.max(checkpoint.checkpointUs, settleUs);
      const settled = settleUs > checkpoint.checkpointUs ? this.summarize(ref, checkpoint.checkpointUs, settleUs) : EMPTY;
      return { checkpoint, settled, tail: this.summarize(ref, split, Number.MAX_SAFE_INTEGER), settleUs };
    });
  }

  async writeCheckpoints(items: CheckpointWrite[]): Promise<void> {
    for (const { ref, count, checkpointUs } of items) {
      const key = counterKey(ref);
      const row = this.rows.get(key) ?? { ...ZERO, namespace: ref.namespace, name: ref.name };
      if (checkpointUs <= row.checkpointUs) continue;
      this.rows.set(key, { ...row, count, checkpointUs });
    }
  }

  async listPending({ namespace, upToUs, limit }: PendingQuery): Promise<CounterRef[]> {
    return [...this.rows.values()]
      .filter((r) => r.namespace === namespace && r.lastWriteUs > r.checkpointUs && r.lastWriteUs <= upToUs)
      .sort((a, b) => a.lastWriteUs - b.lastWriteUs)
      .slice(0, limit)
      .map((r) => ({ namespace: r.namespace, name: r.name }));
  }

  async purge({ namespace, beforeUs }: PurgeQuery): Promise<PurgeResult> {
    let deleted = 0;
    for (const [key, list] of this.events) {
      const row = this.rows.get(key);
      if (!row || row.namespace !== namespace.name) continue;
      const keep = list.filter((e) => !(e.timeUs < beforeUs && e.timeUs <= row.checkpointUs));
      deleted += list.length - keep.length;
      this.events.set(key, keep);
    }
    return { deleted };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}

  /** The events of (fromUs, toUs] reduced as WindowSummary describes. */
  private summarize(ref: CounterRef, fromUs: number, toUs: number): WindowSummary {
    const inRange = (this.events.get(counterKey(ref)) ?? []).filter((e) => e.timeUs > fromUs && e.timeUs <= toUs);
    if (inRange.length === 0) return EMPTY;
    let clearUs: number | null = null;
    for (const e of inRange) if (e.clear && (clearUs === null || e.timeUs > clearUs)) clearUs = e.timeUs;
    const adds = inRange.filter((e) => !e.clear && (clearUs === null || e.timeUs > clearUs));
    return { clearUs, sum: adds.reduce((s, e) => s + e.delta, 0n), events: adds.length + (clearUs === null ? 0 : 1) };
  }
}

/** A snapshot with only a checkpoint (nothing pending), or with the windows given. */
export function snapshot(p: {
  count?: bigint;
  checkpointUs?: number;
  lastWriteUs?: number;
  settled?: Partial<WindowSummary>;
  tail?: Partial<WindowSummary>;
  settleUs: number;
}): CounterSnapshot {
  return {
    checkpoint: { count: p.count ?? 0n, checkpointUs: p.checkpointUs ?? 0, lastWriteUs: p.lastWriteUs ?? 0 },
    settled: { ...EMPTY, ...p.settled },
    tail: { ...EMPTY, ...p.tail },
    settleUs: p.settleUs,
  };
}

// ---- converged cache and pub/sub ----------------------------------------------------------

/** The ConvergedCache rules in memory: a value from an older asOf never replaces a newer one. */
export class FakeConvergedCache implements ConvergedCache {
  readonly values = new Map<string, { value: bigint; asOfMs: number }>();
  readonly updates: ConvergedUpdate[] = [];
  readonly gets: CounterRef[][] = [];

  async get(refs: CounterRef[]): Promise<(bigint | undefined)[]> {
    this.gets.push(refs);
    return refs.map((r) => this.values.get(counterKey(r))?.value);
  }

  async setMany(update: ConvergedUpdate): Promise<ConvergedUpdateResult> {
    this.updates.push(update);
    const changed = update.entries.map(({ ref, value }) => {
      const key = counterKey(ref);
      const cur = this.values.get(key);
      if (cur && cur.asOfMs > update.asOfMs) return false;
      this.values.set(key, { value, asOfMs: update.asOfMs });
      return cur?.value !== value;
    });
    return { changed };
  }

  async clearNamespace(namespace: string): Promise<number> {
    let n = 0;
    for (const key of [...this.values.keys()]) if (key.startsWith(`${namespace}\u0000`) && this.values.delete(key)) n++;
    return n;
  }

  value(ref: CounterRef): bigint | undefined {
    return this.values.get(counterKey(ref))?.value;
  }

  async close(): Promise<void> {}
}

/** Pub/sub in memory: records publishes, delivers `emit`ted updates to a counter's listeners. */
export class FakePubSub implements PubSub {
  readonly published: CounterUpdate[] = [];
  readonly listeners = new Map<string, Set<Listener>>();
  unsubscribes = 0;

  publish(update: CounterUpdate): void {
    this.published.push(update);
  }

  subscribe(ref: CounterRef, listener: Listener): () => void {
    const key = counterKey(ref);
    const set = this.listeners.get(key) ?? new Set();
    set.add(listener);
    this.listeners.set(key, set);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.unsubscribes++;
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(key);
    };
  }

  /** Delivers an update to the listeners of its counter (as a publish elsewhere would). */
  emit(update: CounterUpdate): void {
    for (const l of this.listeners.get(counterKey(update)) ?? []) l(update);
  }

  activeCounters(): number {
    return this.listeners.size;
  }

  async close(): Promise<void> {}
}

// ---- timers -------------------------------------------------------------------------------

/**
 * A stand-in for node:timers/promises whose setTimeout goes through the global setTimeout, so
 * jest's fake timers control it (they do not patch node:timers/promises). Honours the abort
 * signal like the real one (rejects with an AbortError). Use in a test file with:
 * `jest.mock('node:timers/promises', () => jest.requireActual('../fakes').fakeTimersPromises)`.
 */
export const fakeTimersPromises = {
  setTimeout<T>(ms: number, value?: T, opts?: { signal?: AbortSignal }): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      const signal = opts?.signal;
      const abortError = (): Error => Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
      if (signal?.aborted) return reject(abortError());
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      }, ms);
      const onAbort = (): void => {
        clearTimeout(t);
        reject(abortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

/** Lets pending promise callbacks run (a few turns of the microtask queue). */
export async function flushMicrotasks(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}

/** The CounterError a promise is refused with; fails the test when it resolves. */
export async function refusal(p: Promise<unknown>, resolved = 'expected a refusal'): Promise<CounterError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(CounterError);
    return err as CounterError;
  }
  throw new Error(resolved);
}
