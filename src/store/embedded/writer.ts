/**
 * The embedded store's writer thread (a worker_threads entry, loaded from dist/): every
 * write transaction, and so every commit and fsync, runs here, off the service's event loop,
 * on its own connection. Requests arrive as messages and run one after another, each as one
 * transaction; the reply goes out once it is committed (durable, at the configured
 * synchronous level). A failed transaction is rolled back and answered with its error.
 */
import { workerData } from 'node:worker_threads';
import { counterKey } from '../../model';
import type { CheckpointWrite } from '../types';
import { openDatabase } from './database';
import { serveRequests } from './serve';
import type { PackedEvents, WriterOp, ThreadOptions, WriterResults } from './protocol';

const { file, synchronous, writerCacheMb } = workerData as ThreadOptions;
const db = openDatabase(file, synchronous);
// Inserts land all over the events tree (clustered by counter): with a cache that holds its
// hot pages they stop reading pages back from the file (measured: 2 MB, SQLite's default,
// ~8K increments/s over 100K counters; 16 MB ~27K/s).
db.pragma(`cache_size = -${writerCacheMb * 1024}`);

const s = {
  insertEvent: db.prepare('INSERT OR IGNORE INTO events (namespace, counter, time_us, event_id, clear, delta) VALUES (?, ?, ?, ?, ?, ?)'),
  touchLastWrite: db.prepare(
    `INSERT INTO rollups (namespace, counter, count, checkpoint_us, last_write_us) VALUES (?, ?, 0, 0, ?)
     ON CONFLICT (namespace, counter) DO UPDATE SET last_write_us = excluded.last_write_us
     WHERE excluded.last_write_us > rollups.last_write_us`,
  ),
  checkpoint: db.prepare(
    `INSERT INTO rollups (namespace, counter, count, checkpoint_us, last_write_us) VALUES (?, ?, ?, ?, 0)
     ON CONFLICT (namespace, counter) DO UPDATE SET count = excluded.count, checkpoint_us = excluded.checkpoint_us
     WHERE excluded.checkpoint_us > rollups.checkpoint_us`,
  ),
  // Retention per counter: a range delete on the primary key, bounded by the checkpoint so
  // that an event is never dropped before it was rolled up.
  purgeCounters: db.prepare('SELECT counter, checkpoint_us FROM rollups WHERE namespace = ? AND counter > ? ORDER BY counter LIMIT ?'),
  purgeCounter: db.prepare('DELETE FROM events WHERE namespace = ? AND counter = ? AND time_us < ? AND time_us <= ?'),
  insertNs: db.prepare(
    `INSERT OR IGNORE INTO namespaces (name, mode, ttl_seconds, retention_seconds, accept_limit_ms, created_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  ),
  // The mode is part of the condition: a namespace's mode never changes (its data depends on it).
  updateNs: db.prepare('UPDATE namespaces SET ttl_seconds = ?, retention_seconds = ?, accept_limit_ms = ? WHERE name = ? AND mode = ? AND deleted_at IS NULL'),
  markDeleted: db.prepare('UPDATE namespaces SET deleted_at = ? WHERE name = ? AND deleted_at IS NULL'),
  dropNs: db.prepare('DELETE FROM namespaces WHERE name = ? AND deleted_at IS NOT NULL'),
  // deleteNamespace's chunks: at most `limit` rows by primary key per transaction, events
  // first (every counter with events has its checkpoint row, written in the same transaction),
  // then the checkpoint rows (and so the pending marks, which are an index of them).
  removeEvents: db.prepare(
    `DELETE FROM events WHERE namespace = ? AND (counter, time_us, event_id) IN
       (SELECT counter, time_us, event_id FROM events WHERE namespace = ? LIMIT ?)`,
  ),
  removeRollups: db.prepare('DELETE FROM rollups WHERE namespace = ? AND counter IN (SELECT counter FROM rollups WHERE namespace = ? LIMIT ?)'),
};

function append(p: PackedEvents): Uint8Array {
  return db
    .transaction(() => {
      const n = p.names.length;
      const applied = new Uint8Array(n);
      // One checkpoint-row upsert per counter of the group (with its newest event), not one
      // per event: a hot counter's many writes in one group cost one.
      const newest = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const ns = p.namespaces[i]!;
        const name = p.names[i]!;
        const timeUs = p.timeUs[i]!;
        if (s.insertEvent.run(ns, name, timeUs, p.eventIds[i]!, p.clear[i]!, p.delta[i]!).changes !== 1) continue;
        applied[i] = 1;
        const key = counterKey({ namespace: ns, name });
        const seen = newest.get(key);
        if (seen === undefined || timeUs > p.timeUs[seen]!) newest.set(key, i);
      }
      for (const i of newest.values()) s.touchLastWrite.run(p.namespaces[i]!, p.names[i]!, p.timeUs[i]!);
      return applied;
    })
    .immediate();
}

function checkpoints(items: CheckpointWrite[]): null {
  db.transaction(() => {
    for (const it of items) s.checkpoint.run(it.ref.namespace, it.ref.name, it.count, it.checkpointUs);
  })();
  return null;
}

function purgeChunk(namespace: string, after: string, limit: number, beforeUs: number): WriterResults['purgeChunk'] {
  const rows = s.purgeCounters.all(namespace, after, limit) as { counter: string; checkpoint_us: number }[];
  if (rows.length === 0) return { deleted: 0, last: null };
  let deleted = 0;
  db.transaction(() => {
    for (const r of rows) deleted += s.purgeCounter.run(namespace, r.counter, beforeUs, r.checkpoint_us).changes;
  })();
  return { deleted, last: rows[rows.length - 1]!.counter };
}

function removeNamespaceChunk(namespace: string, limit: number): number {
  return db.transaction(() => {
    const events = s.removeEvents.run(namespace, namespace, limit).changes;
    if (events > 0) return events;
    return s.removeRollups.run(namespace, namespace, limit).changes;
  })();
}

function run(req: WriterOp): unknown {
  switch (req.op) {
    case 'append':
      return append(req.events);
    case 'checkpoints':
      return checkpoints(req.items);
    case 'purgeChunk':
      return purgeChunk(req.namespace, req.after, req.limit, req.beforeUs);
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
