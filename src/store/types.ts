import type { CounterEvent, CounterRef, NamespaceConfig } from '../model';

/**
 * The seams to durable storage. One implementation per backend (embedded SQLite,
 * Cassandra); the counter service and the roll-up never know which one runs. The store
 * conformance suite (tests/integration/conformance/store.conformance.ts) holds every implementation to the same rules.
 */

export interface NamespaceStore {
  listNamespaces(): Promise<NamespaceConfig[]>;
  getNamespace(name: string): Promise<NamespaceConfig | undefined>;
  /** Inserts unless the name exists; returns what is stored afterwards (the existing one wins). */
  createNamespace(ns: NamespaceConfig): Promise<NamespaceConfig>;
  /**
   * Replaces the settings (ttlSeconds, retentionSeconds, acceptLimitMs) of the namespace of
   * this name and mode; returns what is stored afterwards: the namespace as it was when its
   * mode differs (nothing changed), undefined when there is no such name.
   */
  updateNamespace(ns: NamespaceConfig): Promise<NamespaceConfig | undefined>;
  /**
   * deleteNamespace's first, durable step: tombstones the live namespace of this name as of
   * deletedAtMs. From then on it is missing from listNamespaces and getNamespace, updateNamespace
   * finds nothing, and createNamespace of the name throws NAMESPACE_CONFLICT until dropNamespace.
   * Returns false (nothing changed) when there is no live namespace of this name.
   */
  markNamespaceDeleted(name: string, deletedAtMs: number): Promise<boolean>;
  /** The tombstoned namespaces whose removal has not finished (a crash leaves them here to resume). */
  listDeletedNamespaces(): Promise<DeletedNamespace[]>;
  /** Removes the tombstoned row of the name (its data is gone): the name may be created again. A live row is left alone. */
  dropNamespace(name: string): Promise<void>;
}

/** A namespace being deleted: its tombstone and when it was set. */
export interface DeletedNamespace {
  name: string;
  deletedAtMs: number;
}

/** A counter's checkpoint row: every event at or before `checkpointUs` is summed into `count`. */
export interface CheckpointRow {
  count: bigint;
  checkpointUs: number;
  /** The newest event time ever written for the counter (drives "still pending" detection). */
  lastWriteUs: number;
}

/**
 * The events of one counter within a time range, reduced: `clearUs` is the newest clear
 * in the range (null if none) and `sum` adds the deltas of the adds after it (or of all adds
 * when there is no clear). Reducing is order-free, which is what lets two instances roll up
 * the same window and get the same answer.
 */
export interface WindowSummary {
  clearUs: number | null;
  sum: bigint;
  events: number;
}

/**
 * A counter as of one read: its checkpoint, the settled events after it (up to the
 * immutable boundary asked for) and the live tail after that.
 */
export interface CounterSnapshot {
  checkpoint: CheckpointRow;
  /** Events in (checkpoint.checkpointUs, settleUs]; empty when the checkpoint is already past settleUs. */
  settled: WindowSummary;
  /** Events after max(checkpoint.checkpointUs, settleUs). */
  tail: WindowSummary;
  settleUs: number;
}

export interface AppendResult {
  /**
   * False when the event's idempotency key was already stored (a retry); the store is
   * unchanged. Undefined when the store did not look (an `unasked` event it wrote blind).
   */
  applied: boolean | undefined;
}

export interface EventStore {
  /**
   * Durably stores events (idempotent on (namespace, name, timeUs, eventId)) and raises each
   * counter's lastWriteUs; resolves only when every event is durable. Callers may call it
   * concurrently: implementations group concurrent appends into few commits.
   */
  append(events: CounterEvent[]): Promise<AppendResult[]>;
  /** One batched read of many counters, in input order. */
  readSnapshots(query: SnapshotQuery): Promise<CounterSnapshot[]>;
  /**
   * Moves counters' checkpoints forward to (count, checkpointUs). Never moves one back: a
   * write for an older checkpoint than the stored one is ignored.
   */
  writeCheckpoints(items: CheckpointWrite[]): Promise<void>;
  /**
   * Counters of a namespace whose last write is past their checkpoint but at or before
   * upToUs, oldest first, at most `limit`:
   * the durable record that finds counters whose roll-up was lost (crash, full queue) or is
   * still due, so that no counter stays stale.
   */
  listPending(query: PendingQuery): Promise<CounterRef[]>;
  /** Deletes events older than `beforeUs` that are already checkpointed. */
  purge(query: PurgeQuery): Promise<PurgeResult>;
  /**
   * Removes every event, checkpoint row and pending mark of a tombstoned namespace, in chunks
   * that never hold the store for long (appends of other namespaces go on between them). The
   * caller makes sure nothing writes to the namespace any more. Idempotent: a removal cut
   * short by a crash is simply run again. Returns how many rows went (0 where unknown).
   */
  removeNamespaceData(name: string): Promise<{ removed: number }>;
}

export interface Store extends NamespaceStore, EventStore {
  readonly kind: string;
  /**
   * True when this process is the only writer of the store (the embedded one): then a
   * counter rolled up since this process's last write to it is known to be current.
   */
  readonly exclusiveWriter: boolean;
  /**
   * A store this process alone writes to (exclusiveWriter) may say how large any count in it
   * can be as it opens (magnitude, at or above every counter's): the overflow guard then
   * admits small adds to counters it knows nothing of without reading them first.
   */
  readonly countBound?: bigint;
  /** Throws when the backend cannot be reached (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface CheckpointWrite {
  ref: CounterRef;
  count: bigint;
  checkpointUs: number;
}

export interface SnapshotQuery {
  refs: CounterRef[];
  /** The immutable boundary: events at or before it are settled (see CounterSnapshot). */
  settleUs: number;
  /**
   * No client request waits on this read (the roll-up's batches): a store may serve it off
   * the request path (the embedded store: on its reader thread), trading a hop for the event loop.
   */
  background?: boolean;
}

export interface PendingQuery {
  namespace: string;
  /** Counters whose newest write is at or before this (their whole window settled). */
  upToUs: number;
  limit: number;
  /**
   * Also counters still being written whose oldest pending time bucket ended at or before
   * this, so that the checkpoint of a counter written steadily but rolled up by no write
   * moves (RollupDeps.rollUnread).
   */
  steadyBeforeUs?: number;
}

export interface PurgeQuery {
  namespace: NamespaceConfig;
  beforeUs: number;
}

export interface PurgeResult {
  /** Events deleted (0 where the backend expires events by itself, e.g. Cassandra's TTL). */
  deleted: number;
}
