import type { CounterEvent, CounterRef, NamespaceConfig } from '../../model';
import type { AppendResult, CheckpointWrite, CounterSnapshot } from '../types';
import type { Synchronous } from './database';

/** What the writer and reader threads are started with (workerData). */
export interface ThreadOptions {
  file: string;
  synchronous: Synchronous;
  /** The writer connection's page cache (COUNTER_SQLITE_WRITER_CACHE_MB). */
  writerCacheMb: number;
}

/** One request to the writer thread; each is one transaction there, run in arrival order. */
export type WriterOp =
  | { op: 'append'; events: CounterEvent[] }
  | { op: 'checkpoints'; items: CheckpointWrite[] }
  | { op: 'purgeChunk'; namespace: string; after: string; limit: number; beforeUs: number }
  | { op: 'createNamespace'; ns: NamespaceConfig; createdAtMs: number }
  | { op: 'updateNamespace'; ns: NamespaceConfig }
  | { op: 'markNamespaceDeleted'; name: string; deletedAtMs: number }
  | { op: 'removeNamespaceChunk'; namespace: string; limit: number }
  | { op: 'dropNamespace'; name: string }
  | { op: 'close' };

/** The result of each op, by op. */
export interface WriterResults {
  append: AppendResult[];
  checkpoints: null;
  /** Events deleted, and the last counter of the chunk (null: the namespace is done). */
  purgeChunk: { deleted: number; last: string | null };
  /** The stored row wins when the name exists (read it back). */
  createNamespace: null;
  updateNamespace: null;
  /** Whether a live row was tombstoned. */
  markNamespaceDeleted: boolean;
  /** Rows deleted by this chunk (events first, then checkpoint rows); 0: the namespace's data is gone. */
  removeNamespaceChunk: number;
  dropNamespace: null;
  close: null;
}


/** The reader thread's requests: the roll-up's snapshots and the sweeps' pending lists, off the event loop. */
export type ReaderOp =
  | { op: 'snapshots'; refs: CounterRef[]; settleUs: number }
  | { op: 'pending'; namespace: string; upToUs: number; limit: number }
  | { op: 'close' };

export interface ReaderResults {
  snapshots: CounterSnapshot[];
  pending: CounterRef[];
  close: null;
}
