import type Database from 'better-sqlite3';
import type { CounterEvent, CounterRef, NamespaceConfig } from '../../model';
import { namespaceBeingDeleted } from '../deleting';
import type {
  AppendResult,
  CheckpointWrite,
  CounterSnapshot,
  DeletedNamespace,
  PendingQuery,
  PurgeQuery,
  PurgeResult,
  SnapshotQuery,
  Store,
} from '../types';
import { createDatabase, databaseFile, type Synchronous } from './database';
import { GroupCommitter } from './groupCommit';
import { packEvents, type ReaderOp, type ReaderResults, type WriterOp, type WriterResults } from './protocol';
import { SnapshotReader } from './snapshots';
import { ThreadClient } from './thread';

type Stmt = Database.Statement<unknown[], unknown>;

/** The writer connection's page cache unless configured (COUNTER_SQLITE_WRITER_CACHE_MB). */
export const DEFAULT_WRITER_CACHE_MB = 16;

const APPLIED: AppendResult = Object.freeze({ applied: true });
const DUPLICATE: AppendResult = Object.freeze({ applied: false });

/** Counters per purge transaction. */
const PURGE_CHUNK = 500;

/**
 * Rows per transaction of a namespace's removal: a few milliseconds of the writer, so the
 * appends queued behind a chunk wait about as long as behind one group commit.
 */
const REMOVE_CHUNK = 2000;


/**
 * The embedded store: one SQLite file under COUNTER_DATA_DIR, in WAL mode.
 *
 * Events are clustered by (namespace, counter, time) in a WITHOUT ROWID table, so a
 * counter's window is one contiguous range scan: the embedded analogue of Cassandra's
 * time-bucketed partitions.
 *
 * Writes run on a writer thread (writer.ts), on a connection of their own: a commit's
 * transaction and fsync never block the event loop. Appends are grouped (GroupCommitter)
 * into one transaction per group, one group in flight, so durability costs one fsync per
 * group, not per increment. Reads a request waits on run here, on the main connection (one
 * indexed lookup or range sum per counter, no thread hop); the roll-up's batches of
 * snapshot reads (`background`) and the sweeps' pending scans run on a reader thread (reader.ts). In WAL mode no reader
 * waits for the writer, and once an append has resolved its commit is visible to all.
 */
export class EmbeddedStore implements Store {
  readonly kind = 'embedded';
  readonly exclusiveWriter = true;
  private readonly db: Database.Database;
  private readonly writer: ThreadClient<WriterOp, WriterResults>;
  private readonly reader: ThreadClient<ReaderOp, ReaderResults>;
  private readonly snapshots: SnapshotReader;
  private readonly committer: GroupCommitter<CounterEvent, AppendResult>;
  private readonly s: Record<'listNs' | 'getNs' | 'rowNs' | 'listDeleted', Stmt>;

  constructor(dataDir: string, synchronous: Synchronous = 'FULL', writerCacheMb = DEFAULT_WRITER_CACHE_MB) {
    // Migrated here, before the writer thread opens its own connection.
    this.db = createDatabase(dataDir, synchronous);
    const options = { file: databaseFile(dataDir), synchronous, writerCacheMb };
    this.writer = new ThreadClient('writer', options);
    this.reader = new ThreadClient('reader', options);
    this.snapshots = new SnapshotReader(this.db);
    const p = (sql: string): Stmt => this.db.prepare(sql);
    this.s = {
      // A tombstoned row (deleted_at set) is no namespace any more, for every lookup.
      listNs: p('SELECT * FROM namespaces WHERE deleted_at IS NULL ORDER BY name'),
      getNs: p('SELECT * FROM namespaces WHERE name = ? AND deleted_at IS NULL'),
      rowNs: p('SELECT * FROM namespaces WHERE name = ?'),
      listDeleted: p('SELECT name, deleted_at FROM namespaces WHERE deleted_at IS NOT NULL ORDER BY name'),
    };
    this.committer = new GroupCommitter(async (events) => {
      const applied = await this.writer.request({ op: 'append', events: packEvents(events) });
      return Array.from(applied, (a) => (a === 1 ? APPLIED : DUPLICATE));
    });
  }

  // ---- namespaces -------------------------------------------------------------------

  async listNamespaces(): Promise<NamespaceConfig[]> {
    return (this.s.listNs.all() as NsRow[]).map(toNamespace);
  }

  async getNamespace(name: string): Promise<NamespaceConfig | undefined> {
    const row = this.s.getNs.get(name) as NsRow | undefined;
    return row && toNamespace(row);
  }

  async createNamespace(ns: NamespaceConfig): Promise<NamespaceConfig> {
    await this.writer.request({ op: 'createNamespace', ns, createdAtMs: Date.now() });
    const row = this.s.rowNs.get(ns.name) as NsRow;
    if (row.deleted_at != null) throw namespaceBeingDeleted(ns.name);
    return toNamespace(row);
  }

  async updateNamespace(ns: NamespaceConfig): Promise<NamespaceConfig | undefined> {
    await this.writer.request({ op: 'updateNamespace', ns });
    return this.getNamespace(ns.name);
  }

  markNamespaceDeleted(name: string, deletedAtMs: number): Promise<boolean> {
    return this.writer.request({ op: 'markNamespaceDeleted', name, deletedAtMs });
  }

  async listDeletedNamespaces(): Promise<DeletedNamespace[]> {
    return (this.s.listDeleted.all() as { name: string; deleted_at: number }[]).map((r) => ({ name: r.name, deletedAtMs: r.deleted_at }));
  }

  async dropNamespace(name: string): Promise<void> {
    await this.writer.request({ op: 'dropNamespace', name });
  }

  // ---- events -----------------------------------------------------------------------

  append(events: CounterEvent[]): Promise<AppendResult[]> {
    return this.committer.submit(events);
  }

  async readSnapshots({ refs, settleUs, background }: SnapshotQuery): Promise<CounterSnapshot[]> {
    if (background) return this.reader.request({ op: 'snapshots', refs, settleUs });
    return this.snapshots.read(refs, settleUs);
  }

  async writeCheckpoints(items: CheckpointWrite[]): Promise<void> {
    if (items.length === 0) return;
    await this.writer.request({ op: 'checkpoints', items });
  }

  /** On the reader thread: a sweep scans the namespace's checkpoint rows (background work). */
  listPending(query: PendingQuery): Promise<CounterRef[]> {
    return this.reader.request({ op: 'pending', ...query });
  }

  /**
   * Walks the namespace's counters in chunks, one writer transaction each: one statement over
   * all events would hold the writer (and every append behind it) for the whole namespace.
   */
  async purge({ namespace, beforeUs }: PurgeQuery): Promise<PurgeResult> {
    let deleted = 0;
    for (let after: string | null = ''; after !== null; ) {
      const chunk: WriterResults['purgeChunk'] = await this.writer.request({ op: 'purgeChunk', namespace: namespace.name, after, limit: PURGE_CHUNK, beforeUs });
      deleted += chunk.deleted;
      after = chunk.last;
    }
    return { deleted };
  }

  /** One writer transaction per chunk of REMOVE_CHUNK rows: appends queued meanwhile run between chunks. */
  async removeNamespaceData(name: string): Promise<{ removed: number }> {
    let removed = 0;
    for (;;) {
      const n = await this.writer.request({ op: 'removeNamespaceChunk', namespace: name, limit: REMOVE_CHUNK });
      if (n === 0) return { removed };
      removed += n;
    }
  }

  /** Ends the writer or reader thread at once, as a crash of it would (tests). */
  killThread(which: 'writer' | 'reader'): Promise<void> {
    return (which === 'writer' ? this.writer : this.reader).kill();
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    await this.committer.drain();
    await Promise.all([this.writer.close({ op: 'close' }), this.reader.close({ op: 'close' })]);
    this.db.close();
  }
}

interface NsRow {
  name: string;
  mode: NamespaceConfig['mode'];
  ttl_seconds: number | null;
  retention_seconds: number;
  accept_limit_ms: number;
  deleted_at: number | null;
}

const toNamespace = (r: NsRow): NamespaceConfig => ({
  name: r.name,
  mode: r.mode,
  ttlSeconds: r.ttl_seconds,
  retentionSeconds: r.retention_seconds,
  acceptLimitMs: r.accept_limit_ms,
});
