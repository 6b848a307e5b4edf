/**
 * The Cassandra schema, applied in order at start; the `schema_version` table records how many
 * steps ran. Every statement is `IF NOT EXISTS`, so a start that finds a step done goes on;
 * but two instances must not run the steps at once (two coordinators creating one table give
 * it two ids, see ./connect.ts DDL_OPTIONS): start one first. Append new steps, never edit a
 * released one.
 *
 * Tables (all in the configured keyspace):
 *
 * - `namespaces`: the control plane; created with an LWT (`IF NOT EXISTS`), rare.
 * - `events`: one row per accepted write, partitioned by
 *   ((namespace, counter, time_bucket, event_bucket)) and clustered by (time_us, event_id),
 *   the idempotency key. time_bucket = time_us / seconds_per_bucket; event_bucket =
 *   hash(event_id) % buckets_per_id, so a hot counter spreads over buckets_per_id partitions
 *   per time bucket. Written `USING TTL <namespace retention>`; TimeWindowCompactionStrategy
 *   lets whole expired SSTables be dropped instead of compacted.
 * - `rollups`: one row per counter. `count` + `checkpoint_us` are written together
 *   `USING TIMESTAMP <checkpoint_us>` (an older window never overwrites a newer one);
 *   `last_write_us` is written `USING TIMESTAMP <event time>` (last write wins = max);
 *   `first_write_us` is written `USING TIMESTAMP <2^53 - event time>` (= min): it bounds the
 *   first scan of a counter that has no checkpoint yet. `partitions` (step 2) holds the
 *   events partitions (time bucket x event bucket, see layout.partitionId) written since the
 *   checkpoint: each element is added with the mark, `USING TIMESTAMP <event time>`, and
 *   removed with the checkpoint, `USING TIMESTAMP <checkpoint_us>`, so an element survives
 *   exactly while its partition may hold an event after the checkpoint; a scan reads only
 *   those partitions. A pending row without elements (written before step 2) is scanned whole.
 * - `pending`: the durable record of un-rolled counters, listable per namespace:
 *   ((namespace, shard), counter), shard = hash(counter) % pending_shards. Marked with each
 *   append `USING TIMESTAMP <event time>`, deleted `USING TIMESTAMP <checkpoint_us>` once a
 *   checkpoint catches up, so a newer mark survives the delete.
 * - `event_keys` (step 3): the idempotency keys of recent events, written beside each event by
 *   earlier versions to answer `applied`; no longer written or read (`applied` is read from
 *   the event row itself, ./eventLookup.ts, only when a client asks). Its rows expire by their
 *   TTL (twice the accept limit plus a minute); the table stays, as released steps never change.
 * - `settings`: the partitioning parameters the data was written with (seconds_per_bucket,
 *   buckets_per_id, pending_shards), fixed by the first start: changing them later would make
 *   existing events or marks unfindable, so later starts use the stored values.
 * - `namespaces.deleted_at` (step 4): deleteNamespace's tombstone (ms since the epoch); a row
 *   with it is no namespace for any lookup while its data is removed (./removal.ts), then the
 *   row goes (an LWT conditioned on the tombstone).
 * No Cassandra counter columns anywhere: they are neither idempotent nor TTL-able.
 */
export function migrations(): readonly string[][] {
  return [
    [
      `CREATE TABLE IF NOT EXISTS settings (name text PRIMARY KEY, value text)`,
      `CREATE TABLE IF NOT EXISTS namespaces (
         name text PRIMARY KEY,
         mode text,
         ttl_seconds int,
         retention_seconds int,
         accept_limit_ms int,
         created_at timestamp
       )`,
      `CREATE TABLE IF NOT EXISTS events (
         namespace text,
         counter text,
         time_bucket bigint,
         event_bucket int,
         time_us bigint,
         event_id text,
         clear boolean,
         delta bigint,
         PRIMARY KEY ((namespace, counter, time_bucket, event_bucket), time_us, event_id)
       ) WITH compaction = {'class': 'TimeWindowCompactionStrategy', 'compaction_window_unit': 'HOURS', 'compaction_window_size': 6}
         AND gc_grace_seconds = 10800`,
      `CREATE TABLE IF NOT EXISTS rollups (
         namespace text,
         counter text,
         count bigint,
         checkpoint_us bigint,
         last_write_us bigint,
         first_write_us bigint,
         PRIMARY KEY ((namespace, counter))
       )`,
      `CREATE TABLE IF NOT EXISTS pending (
         namespace text,
         shard int,
         counter text,
         last_write_us bigint,
         PRIMARY KEY ((namespace, shard), counter)
       ) WITH gc_grace_seconds = 3600`,
    ],
    [`ALTER TABLE rollups ADD IF NOT EXISTS partitions set<bigint>`],
    [
      `CREATE TABLE IF NOT EXISTS event_keys (
         namespace text,
         second bigint,
         shard int,
         key text,
         PRIMARY KEY ((namespace, second, shard), key)
       ) WITH compaction = {'class': 'TimeWindowCompactionStrategy', 'compaction_window_unit': 'MINUTES', 'compaction_window_size': 10}
         AND gc_grace_seconds = 0`,
    ],
    [`ALTER TABLE namespaces ADD IF NOT EXISTS deleted_at bigint`],
  ];
}

/** The keyspace's own bookkeeping table, created before any migration runs. */
export const SCHEMA_VERSION_TABLE = `CREATE TABLE IF NOT EXISTS schema_version (id text PRIMARY KEY, version int, updated_at timestamp)`;
