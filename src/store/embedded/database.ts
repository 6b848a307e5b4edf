import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './schema';

/** How long a statement waits for another connection's lock before failing. */
const BUSY_TIMEOUT_MS = 5000;

export type Synchronous = 'FULL' | 'NORMAL';

/** The store's one file under the data directory. */
export const databaseFile = (dataDir: string): string => path.join(dataDir, 'counters.sqlite3');

/**
 * Opens a connection with the store's settings: WAL (readers never wait for the writer, nor
 * it for them), the durability level, and a busy timeout for the rare lock wait (the
 * writer's WAL checkpoints). Both the reading connection and the writer thread's use it.
 */
export function openDatabase(file: string, synchronous: Synchronous): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return db;
}

/** Creates the directory and file if needed and runs the migrations not applied yet. */
export function createDatabase(dataDir: string, synchronous: Synchronous): Database.Database {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = openDatabase(databaseFile(dataDir), synchronous);
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}

/** The width of the time buckets events and marks are keyed by, as recorded in the database (schema step 3). */
export function eventBucketUs(db: Database.Database): number {
  return (db.prepare("SELECT value FROM settings WHERE name = 'event_bucket_us'").get() as { value: number }).value;
}
