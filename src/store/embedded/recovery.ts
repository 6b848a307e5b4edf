import type Database from 'better-sqlite3';
import type { PendingWindows } from './pendingWindows';

/**
 * Rebuilds the pending windows from disk when a store opens (after a restart, a crash, or as a
 * second store on the same file): every mark whose bucket ends after its counter's checkpoint
 * is confirmed by the newest event of the counter in that bucket past the checkpoint (one
 * seek). The marks are kept with the events, in the same transaction, and removed only once
 * the counter's checkpoint covers their bucket, so every counter with events past its
 * checkpoint is found. Marks left by a removal or purge not done yet confirm nothing.
 */
export function recoverWindows(db: Database.Database, windows: PendingWindows): number {
  const rows = db.prepare(
    `SELECT m.namespace, m.counter,
       (SELECT max(e.time_us) FROM events e
        WHERE e.namespace = m.namespace AND e.bucket = m.bucket AND e.counter = m.counter AND e.time_us > coalesce(r.checkpoint_us, 0)) AS last
     FROM marks m LEFT JOIN rollups r ON r.namespace = m.namespace AND r.counter = m.counter`,
  );
  let found = 0;
  for (const r of rows.iterate() as Iterable<{ namespace: string; counter: string; last: number | null }>) {
    if (r.last === null) continue;
    windows.note(r.namespace, r.counter, r.last);
    found++;
  }
  return found;
}
