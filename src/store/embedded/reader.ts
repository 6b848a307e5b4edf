/**
 * The embedded store's reader thread (a worker_threads entry, loaded from dist/): the
 * roll-up's snapshot reads, whole batches of counters, run here on a connection of their
 * own, so their scans neither block the event loop nor queue behind the writer's commits (in
 * WAL mode a reader sees every committed transaction and never waits for the writer).
 */
import { workerData } from 'node:worker_threads';
import { openDatabase } from './database';
import { unpackSnapshotQuery, type ReaderOp, type ThreadOptions } from './protocol';
import { serveRequests } from './serve';
import { SnapshotReader } from './snapshots';

const { file, synchronous, bucketUs } = workerData as ThreadOptions;
const db = openDatabase(file, synchronous);
const snapshots = new SnapshotReader(db, bucketUs);

serveRequests<ReaderOp>((req) => {
  switch (req.op) {
    case 'snapshots': {
      const { refs, windows } = unpackSnapshotQuery(req.query);
      return snapshots.read(refs, req.query.settleUs, windows);
    }
    case 'close':
      db.close();
      return null;
  }
});
