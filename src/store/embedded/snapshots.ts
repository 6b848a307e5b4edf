import type Database from 'better-sqlite3';
import type { CounterRef } from '../../model';
import type { CheckpointRow, CounterSnapshot, WindowSummary } from '../types';
import { bucketEndUs } from './buckets';
import type { CounterWindow } from './pendingWindows';

type Stmt = Database.Statement<unknown[], unknown>;

const EMPTY: WindowSummary = { clearUs: null, sum: 0n, events: 0 };
const ZERO_CHECKPOINT: CheckpointRow = { count: 0n, checkpointUs: 0, lastWriteUs: 0 };

/**
 * Snapshots of counters (checkpoint row, settled window, live tail) read on one connection:
 * the main thread's for reads a request waits on, the reader thread's (reader.ts) for the
 * roll-up's batches. Synchronous, as better-sqlite3 is.
 *
 * Which buckets to read comes with each counter: its window (PendingWindows), the buckets
 * that may hold its events past the checkpoint. No window: nothing to scan. Each bucket is
 * one range seek (namespace, bucket, counter, time range); a counter rolled up within
 * seconds has one or two, a long-idle one written again just the buckets it was written in.
 */
export class SnapshotReader {
  private readonly s: Record<'getCheckpoint' | 'maxClear' | 'sumAfter' | 'sumWindow' | 'sumRows', Stmt>;
  private readonly readAll: (refs: CounterRef[], settleUs: number, windows: readonly (CounterWindow | undefined)[]) => CounterSnapshot[];

  constructor(
    db: Database.Database,
    private readonly bucketUs: number,
  ) {
    const p = (sql: string): Stmt => db.prepare(sql);
    this.s = {
      getCheckpoint: p('SELECT count, checkpoint_us, last_write_us FROM rollups WHERE namespace = ? AND counter = ?'),
      maxClear: p(
        'SELECT max(time_us) AS t FROM events WHERE namespace = ? AND bucket = ? AND counter = ? AND time_us > ? AND time_us <= ? AND clear = 1',
      ),
      sumAfter: p(
        'SELECT sum(delta) AS s, count(*) AS n FROM events WHERE namespace = ? AND bucket = ? AND counter = ? AND time_us > ? AND time_us <= ? AND clear = 0',
      ),
      // One scan for the common case (no clear in the window; a clear's delta is 0).
      sumWindow: p(
        `SELECT max(CASE WHEN clear = 1 THEN time_us END) AS t, sum(delta) AS s, count(*) AS n
         FROM events WHERE namespace = ? AND bucket = ? AND counter = ? AND time_us > ? AND time_us <= ?`,
      ),
      sumRows: p('SELECT delta FROM events WHERE namespace = ? AND bucket = ? AND counter = ? AND time_us > ? AND time_us <= ? AND clear = 0'),
    };
    // 64-bit columns come back as bigint from these; times are then narrowed to numbers.
    for (const st of Object.values(this.s)) st.safeIntegers(true);
    // One read transaction for the whole batch, not one per statement: in WAL mode a
    // connection whose file another connection committed to drops its whole page cache when
    // its next read transaction begins, so each implicit one read the tree from the file
    // again (measured: ~15% of the main thread under addCounts over 100K counters, whose
    // overflow guard reads up to 200 counters per request). It also reads each counter's
    // checkpoint row and its events from the same commit.
    this.readAll = db.transaction((refs: CounterRef[], settleUs: number, windows: readonly (CounterWindow | undefined)[]) =>
      refs.map((ref, i) => this.snapshot(ref, settleUs, windows[i])),
    );
  }

  /** The counters' snapshots; windows[i] is refs[i]'s window (undefined: none). */
  read(refs: CounterRef[], settleUs: number, windows: readonly (CounterWindow | undefined)[]): CounterSnapshot[] {
    return refs.length === 1 ? [this.snapshot(refs[0]!, settleUs, windows[0])] : this.readAll(refs, settleUs, windows);
  }

  private snapshot(ref: CounterRef, settleUs: number, window: CounterWindow | undefined): CounterSnapshot {
    const row = this.s.getCheckpoint.get(ref.namespace, ref.name) as
      | { count: bigint; checkpoint_us: bigint; last_write_us: bigint }
      | undefined;
    const stored: CheckpointRow = row
      ? { count: row.count, checkpointUs: Number(row.checkpoint_us), lastWriteUs: Number(row.last_write_us) }
      : ZERO_CHECKPOINT;
    // The newest write: the window's (this process's appends), else the one kept with the checkpoint.
    const checkpoint = window && window.lastWriteUs > stored.lastWriteUs ? { ...stored, lastWriteUs: window.lastWriteUs } : stored;
    const { checkpointUs } = checkpoint;
    // A counter with nothing written after its checkpoint needs no event scan at all.
    if (!window || checkpoint.lastWriteUs <= checkpointUs) return { checkpoint, settled: EMPTY, tail: EMPTY, settleUs };
    const buckets = window.buckets.filter((b) => bucketEndUs(b, this.bucketUs) > checkpointUs);
    const split = Math.max(checkpointUs, settleUs);
    const settled = settleUs > checkpointUs ? this.summarizeBuckets(ref, buckets, checkpointUs, settleUs) : EMPTY;
    const tail = checkpoint.lastWriteUs > split ? this.summarizeBuckets(ref, buckets, split, Number.MAX_SAFE_INTEGER) : EMPTY;
    return { checkpoint, settled, tail, settleUs };
  }

  /**
   * Reduces the events of (fromUs, toUs] in the given buckets (ascending) to one summary:
   * newest bucket first, stopping at the first that holds a clear (nothing before it counts).
   */
  private summarizeBuckets(ref: CounterRef, buckets: readonly number[], fromUs: number, toUs: number): WindowSummary {
    let sum = 0n;
    let events = 0;
    for (let k = buckets.length - 1; k >= 0; k--) {
      const b = buckets[k]!;
      if (bucketEndUs(b, this.bucketUs) <= fromUs) break;
      if (b * this.bucketUs > toUs) continue;
      const w = this.summarize(ref, b, fromUs, toUs);
      sum += w.sum;
      events += w.events;
      if (w.clearUs !== null) return { clearUs: w.clearUs, sum, events };
    }
    return events === 0 ? EMPTY : { clearUs: null, sum, events };
  }

  /** Reduces the events of one bucket in (fromUs, toUs] to a WindowSummary. */
  private summarize(ref: CounterRef, bucket: number, fromUs: number, toUs: number): WindowSummary {
    let c: { t: bigint | null; s?: bigint | null; n?: bigint };
    try {
      c = this.s.sumWindow.get(ref.namespace, bucket, ref.name, fromUs, toUs) as { t: bigint | null; s: bigint | null; n: bigint };
    } catch (err) {
      if (!isSumOverflow(err)) throw err;
      c = this.s.maxClear.get(ref.namespace, bucket, ref.name, fromUs, toUs) as { t: bigint | null };
    }
    const clearUs = c.t === null ? null : Number(c.t);
    if (clearUs === null && c.n !== undefined) return { clearUs, sum: c.s ?? 0n, events: Number(c.n) };
    const after = clearUs ?? fromUs;
    let sum: bigint;
    let events: number;
    try {
      const r = this.s.sumAfter.get(ref.namespace, bucket, ref.name, after, toUs) as { s: bigint | null; n: bigint };
      sum = r.s ?? 0n;
      events = Number(r.n);
    } catch (err) {
      // SQLite's SUM refuses to overflow 64 bits; a window of huge deltas that cancel out is
      // still legal, so sum exactly in bigint instead.
      if (!isSumOverflow(err)) throw err;
      sum = 0n;
      events = 0;
      for (const r of this.s.sumRows.iterate(ref.namespace, bucket, ref.name, after, toUs) as Iterable<{ delta: bigint }>) {
        sum += r.delta;
        events++;
      }
    }
    return { clearUs, sum, events: events + (clearUs === null ? 0 : 1) };
  }
}

/**
 * SQLite's SUM refuses to overflow 64 bits. Checked by message, not `instanceof Error`:
 * the native module's errors may come from another realm (jest's sandbox, worker threads).
 */
const isSumOverflow = (err: unknown): boolean =>
  typeof (err as { message?: unknown })?.message === 'string' && /integer overflow/i.test((err as Error).message);

