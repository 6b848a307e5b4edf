/**
 * Schema migrations of the embedded store, applied in order; PRAGMA user_version records how
 * many ran. Append new steps, never edit a released one.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE namespaces (
    name              TEXT PRIMARY KEY,
    mode              TEXT NOT NULL,
    ttl_seconds       INTEGER,
    retention_seconds INTEGER NOT NULL,
    accept_limit_ms   INTEGER NOT NULL,
    created_at        INTEGER NOT NULL
  ) WITHOUT ROWID;

  -- One row per accepted write. The primary key is the idempotency key: a retried write
  -- hits the same row and INSERT OR IGNORE leaves it as it was.
  CREATE TABLE events (
    namespace TEXT    NOT NULL,
    counter   TEXT    NOT NULL,
    time_us   INTEGER NOT NULL,
    event_id  TEXT    NOT NULL,
    clear     INTEGER NOT NULL,
    delta     INTEGER NOT NULL,
    PRIMARY KEY (namespace, counter, time_us, event_id)
  ) WITHOUT ROWID;

  -- The roll-up checkpoint per counter, and the newest event time written for it.
  CREATE TABLE rollups (
    namespace     TEXT    NOT NULL,
    counter       TEXT    NOT NULL,
    count         INTEGER NOT NULL,
    checkpoint_us INTEGER NOT NULL,
    last_write_us INTEGER NOT NULL,
    PRIMARY KEY (namespace, counter)
  ) WITHOUT ROWID;

  -- Only counters with events past their checkpoint are in this index, so the sweeper that
  -- finds un-rolled counters after a crash reads just those, oldest first.
  CREATE INDEX rollups_pending ON rollups (namespace, last_write_us) WHERE last_write_us > checkpoint_us;
  `,
  // Step 2: deleteNamespace's tombstone (ms since the epoch): a row with it is no namespace
  // any more for every lookup, while its data is removed in the background; the row goes last.
  `
  ALTER TABLE namespaces ADD COLUMN deleted_at INTEGER;
  `,
];
