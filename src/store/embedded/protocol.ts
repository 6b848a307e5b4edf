import type { CounterRef, NamespaceConfig } from '../../model';
import type { CheckpointWrite, CounterSnapshot } from '../types';
import type { Synchronous } from './database';
import type { EncodedEvents } from './eventGroup';
import type { CounterWindow } from './pendingWindows';

/** What the writer and reader threads are started with (workerData). */
export interface ThreadOptions {
  file: string;
  synchronous: Synchronous;
  /** The writer connection's page cache (COUNTER_SQLITE_WRITER_CACHE_MB). */
  writerCacheMb: number;
  /** The width of the time buckets, as recorded in the database. */
  bucketUs: number;
}

/**
 * Checkpoints as columns, each with the newest write the store knew of for its counter (kept
 * in `rollups.last_write_us`).
 */
export interface PackedCheckpoints {
  namespaces: string[];
  names: string[];
  count: BigInt64Array;
  checkpointUs: Float64Array;
  lastWriteUs: Float64Array;
}

export function packCheckpoints(items: CheckpointWrite[], lastWriteUs: (ref: CounterRef) => number): PackedCheckpoints {
  const n = items.length;
  const p: PackedCheckpoints = { namespaces: new Array<string>(n), names: new Array<string>(n), count: new BigInt64Array(n), checkpointUs: new Float64Array(n), lastWriteUs: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const it = items[i]!;
    p.namespaces[i] = it.ref.namespace;
    p.names[i] = it.ref.name;
    p.count[i] = it.count;
    p.checkpointUs[i] = it.checkpointUs;
    p.lastWriteUs[i] = lastWriteUs(it.ref);
  }
  return p;
}

/**
 * A snapshot batch for the reader thread as columns: the counters, and each one's window
 * (PendingWindows) flattened: `bucketCounts[i]` buckets of `buckets` belong to counter i (0: no
 * window, nothing past its checkpoint). Thousands of small objects cloned cost the event loop
 * several times more.
 */
export interface PackedSnapshotQuery {
  namespaces: string[];
  names: string[];
  settleUs: number;
  lastWriteUs: Float64Array;
  bucketCounts: Uint32Array;
  buckets: Float64Array;
}

export function packSnapshotQuery(refs: CounterRef[], settleUs: number, windows: readonly (CounterWindow | undefined)[]): PackedSnapshotQuery {
  const n = refs.length;
  let total = 0;
  for (const w of windows) total += w ? w.buckets.length : 0;
  const p: PackedSnapshotQuery = {
    namespaces: new Array<string>(n),
    names: new Array<string>(n),
    settleUs,
    lastWriteUs: new Float64Array(n),
    bucketCounts: new Uint32Array(n),
    buckets: new Float64Array(total),
  };
  let k = 0;
  for (let i = 0; i < n; i++) {
    p.namespaces[i] = refs[i]!.namespace;
    p.names[i] = refs[i]!.name;
    const w = windows[i];
    if (!w) continue;
    p.lastWriteUs[i] = w.lastWriteUs;
    p.bucketCounts[i] = w.buckets.length;
    for (const b of w.buckets) p.buckets[k++] = b;
  }
  return p;
}

/** The reader thread's side of packSnapshotQuery. */
export function unpackSnapshotQuery(p: PackedSnapshotQuery): { refs: CounterRef[]; windows: (CounterWindow | undefined)[] } {
  const n = p.names.length;
  const refs = new Array<CounterRef>(n);
  const windows = new Array<CounterWindow | undefined>(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    refs[i] = { namespace: p.namespaces[i]!, name: p.names[i]! };
    const c = p.bucketCounts[i]!;
    windows[i] = c === 0 ? undefined : { lastWriteUs: p.lastWriteUs[i]!, buckets: Array.from(p.buckets.subarray(k, k + c)) };
    k += c;
  }
  return { refs, windows };
}

/** Where a retention purge has got to: the last (bucket, counter) done. */
export interface PurgeCursor {
  bucket: number;
  counter: string;
}

/** One request to the writer thread; each is one transaction there, run in arrival order. */
export type WriterOp =
  | { op: 'append'; events: EncodedEvents }
  | { op: 'checkpoints'; items: PackedCheckpoints }
  | { op: 'purgeChunk'; namespace: string; after: PurgeCursor | null; limit: number; beforeUs: number }
  | { op: 'purgeMarks'; namespace: string; belowBucket: number; limit: number }
  | { op: 'createNamespace'; ns: NamespaceConfig; createdAtMs: number }
  | { op: 'updateNamespace'; ns: NamespaceConfig }
  | { op: 'markNamespaceDeleted'; name: string; deletedAtMs: number }
  | { op: 'removeNamespaceChunk'; namespace: string; limit: number }
  | { op: 'dropNamespace'; name: string }
  | { op: 'close' };

/** The result of each op, by op. */
export interface WriterResults {
  /** By event: 1 when stored, 0 for a duplicate of a stored event (its idempotency key). */
  append: Uint8Array;
  checkpoints: null;
  /** Events deleted, and the last (bucket, counter) of the chunk (null: the namespace is done). */
  purgeChunk: { deleted: number; last: PurgeCursor | null };
  /** Marks deleted (fewer than the limit: none below the bucket is left). */
  purgeMarks: number;
  /** The stored row wins when the name exists (read it back). */
  createNamespace: null;
  updateNamespace: null;
  /** Whether a live row was tombstoned. */
  markNamespaceDeleted: boolean;
  /** Rows deleted by this chunk (events first, then marks, then checkpoint rows); 0: the namespace's data is gone. */
  removeNamespaceChunk: number;
  dropNamespace: null;
  close: null;
}


/** The reader thread's requests: the roll-up's snapshots, off the event loop, with each counter's window. */
export type ReaderOp = { op: 'snapshots'; query: PackedSnapshotQuery } | { op: 'close' };

export interface ReaderResults {
  snapshots: CounterSnapshot[];
  close: null;
}
