/**
 * The embedded store's writer thread (a worker_threads entry, loaded from dist/): every
 * write transaction, and so every commit and fsync, runs here, off the service's event loop,
 * on its own connection. Requests arrive as messages and run one after another, each as one
 * transaction; the reply goes out once it is committed (durable, at the configured
 * synchronous level). A failed transaction is rolled back and answered with its error.
 */
import { workerData } from 'node:worker_threads';
import { bucketOf } from './buckets';
import { openDatabase } from './database';
import { serveRequests } from './serve';
import { decodeEvents, type EventColumns } from './eventGroup';
import type { PackedCheckpoints, PurgeCursor, WriterOp, ThreadOptions, WriterResults } from './protocol';

const { file, synchronous, writerCacheMb, bucketUs } = workerData as ThreadOptions;
const db = openDatabase(file, synchronous);
// A cache that holds the pages of the buckets being written (and the `rollups` rows the
// checkpoints update) spares reading them back from the file.
db.pragma(`cache_size = -${writerCacheMb * 1024}`);

const s = {
  insertEvent: db.prepare('INSERT OR IGNORE INTO events (namespace, bucket, counter, time_us, event_id, clear, delta) VALUES (?, ?, ?, ?, ?, ?, ?)'),
  insertMark: db.prepare('INSERT OR IGNORE INTO marks (namespace, bucket, counter) VALUES (?, ?, ?)'),
  // The newest write the main thread knew of goes with the checkpoint (the row's only other
  // writer): it is what a snapshot reports once the counter's window is gone.
  checkpoint: db.prepare(
    `INSERT INTO rollups (namespace, counter, count, checkpoint_us, last_write_us) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (namespace, counter) DO UPDATE SET count = excluded.count, checkpoint_us = excluded.checkpoint_us,
       last_write_us = max(rollups.last_write_us, excluded.last_write_us)
     WHERE excluded.checkpoint_us > rollups.checkpoint_us`,
  ),
  // Retention: the (bucket, counter) pairs of the expired buckets in key order, then a range
  // delete each, bounded by the counter's checkpoint so that an event is never dropped before
  // it was rolled up.
  purgePairs: db.prepare(
    `SELECT bucket, counter FROM events WHERE namespace = ? AND bucket <= ? AND (bucket, counter) > (?, ?)
     GROUP BY bucket, counter ORDER BY bucket, counter LIMIT ?`,
  ),
  checkpointOf: db.prepare('SELECT checkpoint_us FROM rollups WHERE namespace = ? AND counter = ?'),
  purgePair: db.prepare('DELETE FROM events WHERE namespace = ? AND bucket = ? AND counter = ? AND time_us < ? AND time_us <= ?'),
  purgeMarks: db.prepare(
    `DELETE FROM marks WHERE namespace = ? AND (bucket, counter) IN
       (SELECT bucket, counter FROM marks WHERE namespace = ? AND bucket < ? LIMIT ?)`,
  ),
  insertNs: db.prepare(
    `INSERT OR IGNORE INTO namespaces (name, mode, ttl_seconds, retention_seconds, accept_limit_ms, created_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  ),
  // The mode is part of the condition: a namespace's mode never changes (its data depends on it).
  updateNs: db.prepare('UPDATE namespaces SET ttl_seconds = ?, retention_seconds = ?, accept_limit_ms = ? WHERE name = ? AND mode = ? AND deleted_at IS NULL'),
  markDeleted: db.prepare('UPDATE namespaces SET deleted_at = ? WHERE name = ? AND deleted_at IS NULL'),
  dropNs: db.prepare('DELETE FROM namespaces WHERE name = ? AND deleted_at IS NOT NULL'),
  // deleteNamespace's chunks: at most `limit` rows by primary key per transaction, events
  // first, then the marks, then the checkpoint rows.
  removeEvents: db.prepare(
    `DELETE FROM events WHERE namespace = ? AND (bucket, counter, time_us, event_id) IN
       (SELECT bucket, counter, time_us, event_id FROM events WHERE namespace = ? LIMIT ?)`,
  ),
  removeMarks: db.prepare('DELETE FROM marks WHERE namespace = ? AND (bucket, counter) IN (SELECT bucket, counter FROM marks WHERE namespace = ? LIMIT ?)'),
  removeRollups: db.prepare('DELETE FROM rollups WHERE namespace = ? AND counter IN (SELECT counter FROM rollups WHERE namespace = ? LIMIT ?)'),
};

/**
 * One group's events and their marks, one per counter and bucket of the group (most events of
 * a hot counter share one). Nothing else per counter: the pending state lives in the main
 * thread's PendingWindows, rebuilt from the marks after a restart.
 */
function append(p: EventColumns): Uint8Array {
  return db
    .transaction(() => {
      const n = p.names.length;
      const applied = new Uint8Array(n);
      const marked = new Set<string>();
      for (let i = 0; i < n; i++) {
        const ns = p.namespaces[i]!;
        const name = p.names[i]!;
        const bucket = bucketOf(p.timeUs[i]!, bucketUs);
        if (s.insertEvent.run(ns, bucket, name, p.timeUs[i]!, p.eventIds[i]!, p.clear[i]!, p.delta[i]!).changes !== 1) continue;
        applied[i] = 1;
        const key = `${bucket}\u0000${ns}\u0000${name}`;
        if (marked.has(key)) continue;
        marked.add(key);
        s.insertMark.run(ns, bucket, name);
      }
      return applied;
    })
    .immediate();
}

function checkpoints(p: PackedCheckpoints): null {
  db.transaction(() => {
    for (let i = 0; i < p.names.length; i++) s.checkpoint.run(p.namespaces[i]!, p.names[i]!, p.count[i]!, p.checkpointUs[i]!, p.lastWriteUs[i]!);
  })();
  return null;
}

function purgeChunk(namespace: string, after: PurgeCursor | null, limit: number, beforeUs: number): WriterResults['purgeChunk'] {
  const from = after ?? { bucket: Number.MIN_SAFE_INTEGER, counter: '' };
  const pairs = s.purgePairs.all(namespace, bucketOf(beforeUs - 1, bucketUs), from.bucket, from.counter, limit) as PurgeCursor[];
  if (pairs.length === 0) return { deleted: 0, last: null };
  let deleted = 0;
  db.transaction(() => {
    for (const { bucket, counter } of pairs) {
      const row = s.checkpointOf.get(namespace, counter) as { checkpoint_us: number } | undefined;
      if (row) deleted += s.purgePair.run(namespace, bucket, counter, beforeUs, row.checkpoint_us).changes;
    }
  })();
  return { deleted, last: pairs[pairs.length - 1]! };
}

function removeNamespaceChunk(namespace: string, limit: number): number {
  return db.transaction(() => {
    const events = s.removeEvents.run(namespace, namespace, limit).changes;
    if (events > 0) return events;
    const marks = s.removeMarks.run(namespace, namespace, limit).changes;
    if (marks > 0) return marks;
    return s.removeRollups.run(namespace, namespace, limit).changes;
  })();
}

function run(req: WriterOp): unknown {
  switch (req.op) {
    case 'append':
      return append(decodeEvents(req.events));
    case 'checkpoints':
      return checkpoints(req.items);
    case 'purgeChunk':
      return purgeChunk(req.namespace, req.after, req.limit, req.beforeUs);
    case 'purgeMarks':
      return s.purgeMarks.run(req.namespace, req.namespace, req.belowBucket, req.limit).changes;
    case 'createNamespace': {
      const { ns } = req;
      s.insertNs.run(ns.name, ns.mode, ns.ttlSeconds, ns.retentionSeconds, ns.acceptLimitMs, req.createdAtMs);
      return null;
    }
    case 'updateNamespace': {
      const { ns } = req;
      s.updateNs.run(ns.ttlSeconds, ns.retentionSeconds, ns.acceptLimitMs, ns.name, ns.mode);
      return null;
    }
    case 'markNamespaceDeleted':
      return s.markDeleted.run(req.deletedAtMs, req.name).changes === 1;
    case 'removeNamespaceChunk':
      return removeNamespaceChunk(req.namespace, req.limit);
    case 'dropNamespace':
      s.dropNs.run(req.name);
      return null;
    case 'close':
      db.close();
      return null;
  }
}

serveRequests(run);
