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
  // Step 3: events keyed by a time bucket first, so that a group commit's inserts land in the
  // pages of the newest buckets (clustered by counter, every event of a bulk load over many
  // counters dirtied a page of its own: docs/benchmarks.md). The width is recorded here and
  // read from here: rows stored are keyed by it, so it never changes under them. The pending
  // marks move from the per-append `rollups` upsert (and its partial index) to `marks`, one
  // row per counter and bucket with events, keyed the same way; `rollups.last_write_us` is now
  // written with checkpoints only. The floor below is floor(time_us / width) for any sign.
  `
  CREATE TABLE settings (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO settings (name, value) VALUES ('event_bucket_us', 1000000);

  CREATE TABLE events_by_bucket (
    namespace TEXT    NOT NULL,
    bucket    INTEGER NOT NULL,
    counter   TEXT    NOT NULL,
    time_us   INTEGER NOT NULL,
    event_id  TEXT    NOT NULL,
    clear     INTEGER NOT NULL,
    delta     INTEGER NOT NULL,
    PRIMARY KEY (namespace, bucket, counter, time_us, event_id)
  ) WITHOUT ROWID;
  INSERT INTO events_by_bucket (namespace, bucket, counter, time_us, event_id, clear, delta)
    SELECT namespace, (time_us - ((time_us % 1000000) + 1000000) % 1000000) / 1000000, counter, time_us, event_id, clear, delta
    FROM events;
  DROP TABLE events;
  ALTER TABLE events_by_bucket RENAME TO events;

  -- A counter has (or had) events in a bucket: what a restart rebuilds the pending counters
  -- from. Obsolete once the counter's checkpoint covers the bucket; removed in chunks then.
  CREATE TABLE marks (
    namespace TEXT    NOT NULL,
    bucket    INTEGER NOT NULL,
    counter   TEXT    NOT NULL,
    PRIMARY KEY (namespace, bucket, counter)
  ) WITHOUT ROWID;
  INSERT OR IGNORE INTO marks (namespace, bucket, counter)
    SELECT e.namespace, e.bucket, e.counter FROM events e
    LEFT JOIN rollups r ON r.namespace = e.namespace AND r.counter = e.counter
    WHERE e.time_us > coalesce(r.checkpoint_us, 0);
  DROP INDEX rollups_pending;
  `,
];
