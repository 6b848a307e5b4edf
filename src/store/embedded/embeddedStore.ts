import type Database from 'better-sqlite3';
import type { CounterEvent, CounterRef, NamespaceConfig } from '../../model';
import type {
  AppendResult,
  CheckpointWrite,
  CounterSnapshot,
  PendingQuery,
  PurgeQuery,
  PurgeResult,
  SnapshotQuery,
  Store,
} from '../types';
import { createDatabase, databaseFile, type Synchronous } from './database';
import { GroupCommitter } from './groupCommit';
import type { ReaderOp, ReaderResults, WriterOp, WriterResults } from './protocol';
import { SnapshotReader } from './snapshots';
import { ThreadClient } from './thread';

type Stmt = Database.Statement<unknown[], unknown>;

/** The writer connection's page cache unless configured (COUNTER_SQLITE_WRITER_CACHE_MB). */
export const DEFAULT_WRITER_CACHE_MB = 16;

/** Counters per purge transaction. */
const PURGE_CHUNK = 500;


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
  private readonly s: Record<'listNs' | 'getNs', Stmt>;

  constructor(dataDir: string, synchronous: Synchronous = 'FULL', writerCacheMb = DEFAULT_WRITER_CACHE_MB) {
    // Migrated here, before the writer thread opens its own connection.
    this.db = createDatabase(dataDir, synchronous);
    const options = { file: databaseFile(dataDir), synchronous, writerCacheMb };
    this.writer = new ThreadClient('writer', options);
    this.reader = new ThreadClient('reader', options);
    this.snapshots = new SnapshotReader(this.db);
    const p = (sql: string): Stmt => this.db.prepare(sql);
    this.s = {
      listNs: p('SELECT * FROM namespaces ORDER BY name'),
      getNs: p('SELECT * FROM namespaces WHERE name = ?'),
    };
    this.committer = new GroupCommitter((events) => this.writer.request({ op: 'append', events }));
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
    return toNamespace(this.s.getNs.get(ns.name) as NsRow);
  }

  async updateNamespace(ns: NamespaceConfig): Promise<NamespaceConfig | undefined> {
    await this.writer.request({ op: 'updateNamespace', ns });
    return this.getNamespace(ns.name);
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
}

const toNamespace = (r: NsRow): NamespaceConfig => ({
  name: r.name,
  mode: r.mode,
  ttlSeconds: r.ttl_seconds,
  retentionSeconds: r.retention_seconds,
  acceptLimitMs: r.accept_limit_ms,
});
