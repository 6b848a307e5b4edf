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
import { bucketOf } from './buckets';
import { createDatabase, databaseFile, eventBucketUs, type Synchronous } from './database';
import { encodeEvents, transferList } from './eventGroup';
import { GroupCommitter } from './groupCommit';
import { PendingWindows } from './pendingWindows';
import { packCheckpoints, packSnapshotQuery, type PurgeCursor, type ReaderOp, type ReaderResults, type WriterOp, type WriterResults } from './protocol';
import { openingCountBound } from './countBound';
import { recoverWindows } from './recovery';
import { lockDataDir } from './processLock';
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

/** Marks deleted per transaction: sequential deletes in the oldest buckets, a few ms of the writer. */
const MARK_PURGE_CHUNK = 5000;

/** A namespace's obsolete marks are looked for at most this often (after its checkpoint writes). */
const MARK_PURGE_INTERVAL_MS = 1000;

/**
 * The embedded store: one SQLite file under COUNTER_DATA_DIR, in WAL mode.
 *
 * Events are keyed by (namespace, time bucket, counter, time, event id) in a WITHOUT ROWID
 * table (schema step 3): a group commit's inserts land in the pages of the newest buckets,
 * and a counter's window is one range seek per bucket it was written in. Which buckets, and
 * which counters are pending at all, this process keeps in memory (PendingWindows: noted
 * from every append's answer, settled by checkpoints and reads); its durable copy is the
 * `marks` table, written with the events and read back when a store opens (recovery.ts).
 * This relies on the store being the file's only writer (exclusiveWriter).
 *
 * Writes run on a writer thread (writer.ts), on a connection of their own: a commit's
 * transaction and fsync never block the event loop. Appends are grouped (GroupCommitter)
 * into one transaction per group, one group in flight, so durability costs one fsync per
 * group, not per increment; the roll-up's concurrent checkpoint writes are grouped the same
 * way. Reads a request waits on run here, on the main connection (one indexed lookup, and a
 * range sum per bucket of the counter's window, no thread hop); the roll-up's batches of
 * snapshot reads (`background`) run on a reader thread (reader.ts); the sweeps' pending lists
 * come from memory. In WAL mode no reader waits for the writer, and once an append has
 * resolved its commit is visible to all.
 */
export class EmbeddedStore implements Store {
  readonly kind = 'embedded';
  readonly exclusiveWriter = true;
  readonly countBound: bigint | undefined;
  private readonly db: Database.Database;
  private readonly writer: ThreadClient<WriterOp, WriterResults>;
  private readonly reader: ThreadClient<ReaderOp, ReaderResults>;
  private readonly snapshots: SnapshotReader;
  private readonly committer: GroupCommitter<CounterEvent, AppendResult>;
  private readonly checkpointer: GroupCommitter<CheckpointWrite, null>;
  private readonly s: Record<'listNs' | 'getNs' | 'rowNs' | 'listDeleted', Stmt>;
  private readonly bucketUs: number;
  private readonly windows: PendingWindows;
  /** The least bucket of each append group sent to the writer and not answered yet: its marks may be committed already. */
  private readonly inFlight = new Map<number, number>();
  private nextGroup = 0;
  private readonly releaseLock: () => void;
  /** When each namespace's obsolete marks were last looked for. */
  private readonly markPurgeAt = new Map<string, number>();

  constructor(dataDir: string, synchronous: Synchronous = 'FULL', writerCacheMb = DEFAULT_WRITER_CACHE_MB) {
    // Before the file is touched: one process per directory (see ./processLock.ts).
    this.releaseLock = lockDataDir(dataDir);
    try {
      // Migrated here, before the writer thread opens its own connection.
      this.db = createDatabase(dataDir, synchronous);
    } catch (err) {
      this.releaseLock();
      throw err;
    }
    this.bucketUs = eventBucketUs(this.db);
    this.windows = new PendingWindows(this.bucketUs);
    // Before anything is served: reads and the sweeps rely on the windows being complete.
    recoverWindows(this.db, this.windows);
    this.countBound = openingCountBound(this.db);
    const options = { file: databaseFile(dataDir), synchronous, writerCacheMb, bucketUs: this.bucketUs };
    this.writer = new ThreadClient('writer', options);
    this.reader = new ThreadClient('reader', options);
    this.snapshots = new SnapshotReader(this.db, this.bucketUs);
    const p = (sql: string): Stmt => this.db.prepare(sql);
    this.s = {
      // A tombstoned row (deleted_at set) is no namespace any more, for every lookup.
      listNs: p('SELECT * FROM namespaces WHERE deleted_at IS NULL ORDER BY name'),
      getNs: p('SELECT * FROM namespaces WHERE name = ? AND deleted_at IS NULL'),
      rowNs: p('SELECT * FROM namespaces WHERE name = ?'),
      listDeleted: p('SELECT name, deleted_at FROM namespaces WHERE deleted_at IS NOT NULL ORDER BY name'),
    };
    this.committer = new GroupCommitter(async (events) => {
      const group = this.nextGroup++;
      let least = Number.POSITIVE_INFINITY;
      for (const e of events) if (e.timeUs < least) least = e.timeUs;
      this.inFlight.set(group, bucketOf(least, this.bucketUs));
      try {
        const encoded = encodeEvents(events);
        const applied = await this.writer.request({ op: 'append', events: encoded }, transferList(encoded));
        return Array.from(applied, (a) => (a === 1 ? APPLIED : DUPLICATE));
      } finally {
        // Noted before any append is answered. Duplicates too (one may have been committed by
        // a transaction whose answer was lost with its thread), and a failed group's events
        // as well: a dead thread may have committed it. A window noted for nothing reads
        // nothing, and its first roll-up's checkpoint settles it.
        for (const e of events) this.windows.note(e.namespace, e.name, e.timeUs);
        this.inFlight.delete(group);
      }
    });
    // The roll-up's drainers write checkpoints concurrently (8 queues, several batches each in
    // flight): grouped like appends, one commit for all of them, each `rollups` page once.
    this.checkpointer = new GroupCommitter(async (items) => {
      await this.writer.request({ op: 'checkpoints', items: packCheckpoints(items, (ref) => this.windows.lastWriteUs(ref)) });
      return items.map(() => null);
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
    const windows = refs.map((r) => this.windows.get(r));
    const snaps = background
      ? await this.reader.request({ op: 'snapshots', query: packSnapshotQuery(refs, settleUs, windows) })
      : this.snapshots.read(refs, settleUs, windows);
    // A checkpoint read is a lower bound of the stored one: what it covers needs no more reads.
    for (let i = 0; i < refs.length; i++) {
      const w = windows[i];
      const { checkpointUs } = snaps[i]!.checkpoint;
      if (w && this.windows.covers(w, checkpointUs)) this.windows.settle(refs[i]!, checkpointUs);
    }
    return snaps;
  }

  async writeCheckpoints(items: CheckpointWrite[]): Promise<void> {
    if (items.length === 0) return;
    await this.checkpointer.submit(items);
    for (const it of items) this.windows.settle(it.ref, it.checkpointUs);
    for (const namespace of new Set(items.map((it) => it.ref.namespace))) this.purgeMarksSoon(namespace);
  }

  /** From memory: the windows are every counter that may have events past its checkpoint. */
  async listPending({ namespace, upToUs, limit, steadyBeforeUs }: PendingQuery): Promise<CounterRef[]> {
    return this.windows.list(namespace, upToUs, limit, steadyBeforeUs);
  }

  /**
   * Deletes, in chunks, the namespace's marks of the buckets below every window and every
   * append in flight: no counter has events past its checkpoint there. The bound is taken
   * again for each chunk, so that marks committed by appends sent since are never below it.
   * In the background, at most once a MARK_PURGE_INTERVAL_MS; a failure waits for the next.
   */
  private purgeMarksSoon(namespace: string): void {
    const now = Date.now();
    if ((this.markPurgeAt.get(namespace) ?? 0) + MARK_PURGE_INTERVAL_MS > now) return;
    this.markPurgeAt.set(namespace, now);
    const run = async (): Promise<void> => {
      for (;;) {
        let below = this.windows.floor(namespace) ?? Number.MAX_SAFE_INTEGER;
        for (const b of this.inFlight.values()) below = Math.min(below, b);
        const n = await this.writer.request({ op: 'purgeMarks', namespace, belowBucket: below, limit: MARK_PURGE_CHUNK });
        if (n < MARK_PURGE_CHUNK) return;
      }
    };
    run().catch(() => undefined);
  }

  /**
   * Walks the namespace's counters in chunks, one writer transaction each: one statement over
   * all events would hold the writer (and every append behind it) for the whole namespace.
   */
  async purge({ namespace, beforeUs }: PurgeQuery): Promise<PurgeResult> {
    let deleted = 0;
    for (let after: PurgeCursor | null | undefined; after !== null; ) {
      const chunk: WriterResults['purgeChunk'] = await this.writer.request({ op: 'purgeChunk', namespace: namespace.name, after: after ?? null, limit: PURGE_CHUNK, beforeUs });
      deleted += chunk.deleted;
      after = chunk.last;
    }
    return { deleted };
  }

  /** One writer transaction per chunk of REMOVE_CHUNK rows: appends queued meanwhile run between chunks. */
  async removeNamespaceData(name: string): Promise<{ removed: number }> {
    let removed = 0;
    // Nothing writes to the namespace any more (the caller's rule): its windows only go.
    this.windows.forget(name);
    for (;;) {
      const n = await this.writer.request({ op: 'removeNamespaceChunk', namespace: name, limit: REMOVE_CHUNK });
      if (n === 0) break;
      removed += n;
    }
    this.windows.forget(name);
    return { removed };
  }

  /** Ends the writer or reader thread at once, as a crash of it would (tests). */
  killThread(which: 'writer' | 'reader'): Promise<void> {
    return (which === 'writer' ? this.writer : this.reader).kill();
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    await Promise.all([this.committer.drain(), this.checkpointer.drain()]);
    await Promise.all([this.writer.close({ op: 'close' }), this.reader.close({ op: 'close' })]);
    this.db.close();
    this.releaseLock();
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
