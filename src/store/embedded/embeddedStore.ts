import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { CounterEvent, CounterRef, NamespaceConfig } from '../../model';
import type {
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
} from '../types';
import { counterKey } from '../../model';
import { GroupCommitter } from './groupCommit';
import { MIGRATIONS } from './schema';

type Stmt = Database.Statement<unknown[], unknown>;

/** Counters per purge transaction. */
const PURGE_CHUNK = 500;
/** How long a statement waits for another connection's lock (a second process on the file) before failing. */
const BUSY_TIMEOUT_MS = 5000;

const EMPTY: WindowSummary = { clearUs: null, sum: 0n, events: 0 };
const ZERO_CHECKPOINT: CheckpointRow = { count: 0n, checkpointUs: 0, lastWriteUs: 0 };

/**
 * The embedded store: one SQLite file under COUNTER_DATA_DIR, in WAL mode.
 *
 * Events are clustered by (namespace, counter, time) in a WITHOUT ROWID table, so a
 * counter's window is one contiguous range scan: the embedded analogue of Cassandra's
 * time-bucketed partitions. better-sqlite3 is synchronous, so every statement here runs
 * to completion on the event loop; appends are grouped into one transaction per tick
 * (GroupCommitter) so that durability costs one fsync per group, not per increment.
 */
export class EmbeddedStore implements Store {
  readonly kind = 'embedded';
  readonly exclusiveWriter = true;
  private readonly db: Database.Database;
  private readonly committer: GroupCommitter<CounterEvent, AppendResult>;
  private readonly s: Record<
    | 'insertEvent'
    | 'touchLastWrite'
    | 'getCheckpoint'
    | 'maxClear'
    | 'sumAfter'
    | 'sumWindow'
    | 'sumRows'
    | 'checkpoint'
    | 'pending'
    | 'purgeCounters'
    | 'purgeCounter'
    | 'listNs'
    | 'getNs'
    | 'insertNs',
    Stmt
  >;

  constructor(dataDir: string, synchronous: 'FULL' | 'NORMAL' = 'FULL') {
    fs.mkdirSync(dataDir, { recursive: true });
    this.db = new Database(path.join(dataDir, 'counters.sqlite3'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${synchronous}`);
    this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    this.migrate();
    const p = (sql: string): Stmt => this.db.prepare(sql);
    this.s = {
      insertEvent: p(
        'INSERT OR IGNORE INTO events (namespace, counter, time_us, event_id, clear, delta) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      touchLastWrite: p(
        `INSERT INTO rollups (namespace, counter, count, checkpoint_us, last_write_us) VALUES (?, ?, 0, 0, ?)
         ON CONFLICT (namespace, counter) DO UPDATE SET last_write_us = excluded.last_write_us
         WHERE excluded.last_write_us > rollups.last_write_us`,
      ),
      getCheckpoint: p('SELECT count, checkpoint_us, last_write_us FROM rollups WHERE namespace = ? AND counter = ?'),
      maxClear: p(
        'SELECT max(time_us) AS t FROM events WHERE namespace = ? AND counter = ? AND time_us > ? AND time_us <= ? AND clear = 1',
      ),
      sumAfter: p(
        'SELECT sum(delta) AS s, count(*) AS n FROM events WHERE namespace = ? AND counter = ? AND time_us > ? AND time_us <= ? AND clear = 0',
      ),
      // One scan for the common case (no clear in the window; a clear's delta is 0).
      sumWindow: p(
        `SELECT max(CASE WHEN clear = 1 THEN time_us END) AS t, sum(delta) AS s, count(*) AS n
         FROM events WHERE namespace = ? AND counter = ? AND time_us > ? AND time_us <= ?`,
      ),
      sumRows: p(
        'SELECT delta FROM events WHERE namespace = ? AND counter = ? AND time_us > ? AND time_us <= ? AND clear = 0',
      ),
      checkpoint: p(
        `INSERT INTO rollups (namespace, counter, count, checkpoint_us, last_write_us) VALUES (?, ?, ?, ?, 0)
         ON CONFLICT (namespace, counter) DO UPDATE SET count = excluded.count, checkpoint_us = excluded.checkpoint_us
         WHERE excluded.checkpoint_us > rollups.checkpoint_us`,
      ),
      pending: p(
        `SELECT namespace, counter FROM rollups
         WHERE namespace = ? AND last_write_us > checkpoint_us AND last_write_us <= ?
         ORDER BY last_write_us LIMIT ?`,
      ),
      // Retention per counter: a range delete on the primary key, bounded by the checkpoint so
      // that an event is never dropped before it was rolled up.
      purgeCounters: p(
        'SELECT counter, checkpoint_us FROM rollups WHERE namespace = ? AND counter > ? ORDER BY counter LIMIT ?',
      ),
      purgeCounter: p('DELETE FROM events WHERE namespace = ? AND counter = ? AND time_us < ? AND time_us <= ?'),
      listNs: p('SELECT * FROM namespaces ORDER BY name'),
      getNs: p('SELECT * FROM namespaces WHERE name = ?'),
      insertNs: p(
        `INSERT OR IGNORE INTO namespaces (name, mode, ttl_seconds, retention_seconds, accept_limit_ms, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
    };
    // 64-bit columns come back as bigint from these; times are then narrowed to numbers.
    for (const k of ['getCheckpoint', 'maxClear', 'sumAfter', 'sumWindow', 'sumRows'] as const) this.s[k].safeIntegers(true);
    this.committer = new GroupCommitter((batch) => this.commit(batch));
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
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
    this.s.insertNs.run(ns.name, ns.mode, ns.ttlSeconds, ns.retentionSeconds, ns.acceptLimitMs, Date.now());
    return toNamespace(this.s.getNs.get(ns.name) as NsRow);
  }

  // ---- events -----------------------------------------------------------------------

  append(events: CounterEvent[]): Promise<AppendResult[]> {
    return this.committer.submit(events);
  }

  /** Runs one group's transaction; throws (failing the whole group) if SQLite does. */
  private commit(events: CounterEvent[]): AppendResult[] {
    return this.db.transaction(() => {
      const results: AppendResult[] = new Array(events.length);
      // One roll-up row upsert per counter of the group (with its newest event), not one per
      // event: a hot counter's many writes in one group cost one.
      const newest = new Map<string, CounterEvent>();
      for (let i = 0; i < events.length; i++) {
        const e = events[i]!;
        const r = this.s.insertEvent.run(e.namespace, e.name, e.timeUs, e.eventId, e.clear ? 1 : 0, e.delta);
        const applied = r.changes === 1;
        if (applied) {
          const key = counterKey(e);
          const seen = newest.get(key);
          if (!seen || e.timeUs > seen.timeUs) newest.set(key, e);
        }
        results[i] = { applied };
      }
      for (const e of newest.values()) this.s.touchLastWrite.run(e.namespace, e.name, e.timeUs);
      return results;
    }).immediate();
  }

  async readSnapshots({ refs, settleUs }: SnapshotQuery): Promise<CounterSnapshot[]> {
    return refs.map((ref) => this.snapshot(ref, settleUs));
  }

  private snapshot(ref: CounterRef, settleUs: number): CounterSnapshot {
    const row = this.s.getCheckpoint.get(ref.namespace, ref.name) as
      | { count: bigint; checkpoint_us: bigint; last_write_us: bigint }
      | undefined;
    const checkpoint: CheckpointRow = row
      ? { count: row.count, checkpointUs: Number(row.checkpoint_us), lastWriteUs: Number(row.last_write_us) }
      : ZERO_CHECKPOINT;
    // A counter with nothing written after its checkpoint needs no event scan at all.
    if (checkpoint.lastWriteUs <= checkpoint.checkpointUs) return { checkpoint, settled: EMPTY, tail: EMPTY, settleUs };
    const split = Math.max(checkpoint.checkpointUs, settleUs);
    const settled = settleUs > checkpoint.checkpointUs ? this.summarize(ref, checkpoint.checkpointUs, settleUs) : EMPTY;
    const tail = checkpoint.lastWriteUs > split ? this.summarize(ref, split, Number.MAX_SAFE_INTEGER) : EMPTY;
    return { checkpoint, settled, tail, settleUs };
  }

  /** Reduces the events of (fromUs, toUs] to a WindowSummary. */
  private summarize(ref: CounterRef, fromUs: number, toUs: number): WindowSummary {
    let c: { t: bigint | null; s?: bigint | null; n?: bigint };
    try {
      c = this.s.sumWindow.get(ref.namespace, ref.name, fromUs, toUs) as { t: bigint | null; s: bigint | null; n: bigint };
    } catch (err) {
      if (!isSumOverflow(err)) throw err;
      c = this.s.maxClear.get(ref.namespace, ref.name, fromUs, toUs) as { t: bigint | null };
    }
    const clearUs = c.t === null ? null : Number(c.t);
    if (clearUs === null && c.n !== undefined) return { clearUs, sum: c.s ?? 0n, events: Number(c.n) };
    const after = clearUs ?? fromUs;
    let sum: bigint;
    let events: number;
    try {
      const r = this.s.sumAfter.get(ref.namespace, ref.name, after, toUs) as { s: bigint | null; n: bigint };
      sum = r.s ?? 0n;
      events = Number(r.n);
    } catch (err) {
      // SQLite's SUM refuses to overflow 64 bits; a window of huge deltas that cancel out is
      // still legal, so sum exactly in bigint instead.
      if (!isSumOverflow(err)) throw err;
      sum = 0n;
      events = 0;
      for (const r of this.s.sumRows.iterate(ref.namespace, ref.name, after, toUs) as Iterable<{ delta: bigint }>) {
        sum += r.delta;
        events++;
      }
    }
    return { clearUs, sum, events: events + (clearUs === null ? 0 : 1) };
  }

  async writeCheckpoints(items: CheckpointWrite[]): Promise<void> {
    if (items.length === 0) return;
    this.db.transaction(() => {
      for (const it of items) this.s.checkpoint.run(it.ref.namespace, it.ref.name, it.count, it.checkpointUs);
    })();
  }

  async listPending({ namespace, upToUs, limit }: PendingQuery): Promise<CounterRef[]> {
    return (this.s.pending.all(namespace, upToUs, limit) as { namespace: string; counter: string }[]).map((r) => ({
      namespace: r.namespace,
      name: r.counter,
    }));
  }

  /**
   * Walks the namespace's counters in chunks, yielding to the event loop between them: one
   * statement over all events would scan the whole namespace on the event loop at once.
   */
  async purge({ namespace, beforeUs }: PurgeQuery): Promise<PurgeResult> {
    let deleted = 0;
    let after = '';
    for (;;) {
      const rows = this.s.purgeCounters.all(namespace.name, after, PURGE_CHUNK) as { counter: string; checkpoint_us: number }[];
      if (rows.length === 0) return { deleted };
      this.db.transaction(() => {
        for (const r of rows) deleted += this.s.purgeCounter.run(namespace.name, r.counter, beforeUs, r.checkpoint_us).changes;
      })();
      after = rows[rows.length - 1]!.counter;
      await new Promise((r) => setImmediate(r));
    }
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    await this.committer.drain();
    this.db.close();
  }
}

/**
 * SQLite's SUM refuses to overflow 64 bits. Checked by message, not `instanceof Error`:
 * the native module's errors may come from another realm (jest's sandbox, worker threads).
 */
const isSumOverflow = (err: unknown): boolean =>
  typeof (err as { message?: unknown })?.message === 'string' && /integer overflow/i.test((err as Error).message);

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
