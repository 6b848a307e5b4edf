import type cassandra from 'cassandra-driver';
import { LRUCache } from 'lru-cache';
import { counterKey, type CounterRef } from '../../model';
import type { CheckpointRow, CheckpointWrite, PendingQuery } from '../types';
import { BatchWriter } from './batcher';
import { TurnGrouper } from './grouper';
import { pendingShard, type Layout } from './layout';
import type { Lane } from './limiter';
import { ReplicaGroups } from './replicas';
import type { CqlSession } from './session';
import { named } from './tracker';

/** Rows one grouped read asks for at most (`counter IN ?`). */
const ROWS_PER_READ = 32;

/** Counters whose roll-up row this process remembers (see CheckpointTable.known). */
const KNOWN_ENTRIES = 100_000;

/** What this process last saw of a counter's roll-up row: the newest checkpoint and last write it read or wrote. */
interface Known {
  checkpointUs: number;
  lastWriteUs: number;
  /** The `partitions` elements its last read returned (a checkpoint removes them, see ./schema.ts). */
  partitions: number[];
}

/**
 * A counter's `rollups` row: its checkpoint, the first-write mark that bounds its first scan,
 * and the events partitions that may hold events after the checkpoint (empty: unknown, scan all).
 */
export type StoredCheckpoint = CheckpointRow & { firstWriteUs: number; partitions: number[] };

const CHECKPOINT = named(
  'checkpoint write',
  'UPDATE rollups USING TIMESTAMP ? SET count = ?, checkpoint_us = ?, partitions = partitions - ? WHERE namespace = ? AND counter = ?',
);
const CLEAR_PENDING = named('pending delete', 'DELETE FROM pending USING TIMESTAMP ? WHERE namespace = ? AND shard = ? AND counter = ?');
const ROWS = named(
  'rollup row read',
  'SELECT counter, count, checkpoint_us, last_write_us, first_write_us, partitions FROM rollups WHERE namespace = ? AND counter IN ?',
);
// Counter names are never empty, so `counter > ''` starts a shard from its first mark.
const LIST = named('pending list', 'SELECT counter, last_write_us FROM pending WHERE namespace = ? AND shard = ? AND counter > ? LIMIT ?');
/**
 * Marks one listing reads per namespace at most, spread over its shards, each shard from where
 * the last listing left it. Reading every mark on every sweep cost the node most of its CPU
 * under load (marks and their tombstones, 10,000-100,000 rows a second: the bench's EVENTUAL
 * read, with no write at all, went from 5,300 to 11,700 req/s with sweeps 30 s apart); this
 * way a sweep costs the same whatever the number of pending counters, and a full round over
 * N marks takes N / LIST_PER_SWEEP sweeps.
 */
export const LIST_PER_SWEEP = 2048;

const toStored = (row: cassandra.types.Row | undefined): StoredCheckpoint => ({
  count: (row?.['count'] as bigint | null) ?? 0n,
  checkpointUs: Number((row?.['checkpoint_us'] as bigint | null) ?? 0n),
  lastWriteUs: Number((row?.['last_write_us'] as bigint | null) ?? 0n),
  firstWriteUs: Number((row?.['first_write_us'] as bigint | null) ?? 0n),
  partitions: ((row?.['partitions'] as bigint[] | null) ?? []).map(Number),
});

/**
 * The checkpoint side of the `rollups` table and the `pending` table: reading a counter's
 * row, moving checkpoints forward, and finding and releasing pending marks. The marks
 * themselves are written with each append (./append.ts).
 */
export class CheckpointTable {
  /**
   * The newest checkpoint and last write this process read (readSnapshots) or wrote
   * (writeCheckpoints) per counter. Both only ever grow in the store, so what is known is a
   * lower bound of what is stored:
   * - writeCheckpoints deletes the pending mark only when the checkpoint may have caught up
   *   (a busy counter's roll-ups then cost no tombstone each); an unknown counter gets the delete;
   * - listPending needs no read to confirm a mark this process knows about: a mark at or
   *   before a known checkpoint is stale (deleted at once), any other is pending as far as
   *   this process knows, and the roll-up it leads to reads the row anyway.
   */
  private readonly known = new LRUCache<string, Known>({ max: KNOWN_ENTRIES });
  /**
   * When a listing with `steadyBeforeUs` first saw each counter pending while still written
   * (its `upToUs`), until a checkpoint of the counter is written: how long its events have
   * waited, with no column to read it from (the pending mark holds the newest write only).
   */
  private readonly pendingSince = new LRUCache<string, number>({ max: KNOWN_ENTRIES });
  /** Per namespace, the last mark each shard's listing read ('' when the next starts the shard over). */
  private readonly cursors = new Map<string, string[]>();
  /** Checkpoints, and then the pending deletes, of concurrent roll-ups in shared unlogged batches. */
  private readonly batches: BatchWriter;
  /**
   * The row reads queued in one event-loop turn (a roll-up batch, the overflow guard's first
   * reads of concurrent requests, ACCURATE reads, pending confirmations), grouped by lane,
   * namespace and replica into `counter IN ?` queries of up to ROWS_PER_READ rows.
   */
  private readonly rows: TurnGrouper<{ namespace: string; lane: Lane; routingKey: Buffer | undefined }, string, StoredCheckpoint>;
  private readonly replicas: ReplicaGroups;

  constructor(
    private readonly cql: CqlSession,
    private readonly layout: Layout,
  ) {
    this.batches = new BatchWriter(cql, {}, 'background');
    this.replicas = new ReplicaGroups(cql.client);
    this.rows = new TurnGrouper(async ({ namespace, lane, routingKey }, names) => {
      const r = await this.cql.read(ROWS, [namespace, names], routingKey ? { routingKey } : {}, lane, names.length);
      const byName = new Map(r.rows.map((row) => [row['counter'] as string, row]));
      return names.map((name) => toStored(byName.get(name)));
    }, ROWS_PER_READ);
  }

  read(ref: CounterRef, lane: Lane = 'background'): Promise<StoredCheckpoint> {
    const { group, routingKey } = this.replicas.of([ref.namespace, ref.name]);
    return this.rows.add(`${lane}\u0000${ref.namespace}\u0000${group}`, { namespace: ref.namespace, lane, routingKey }, ref.name);
  }

  /** Forgets what this process knows of the namespace's counters (its data was removed). */
  forget(namespace: string): void {
    const prefix = `${namespace}\u0000`;
    for (const map of [this.known, this.pendingSince]) for (const key of [...map.keys()]) if (key.startsWith(prefix)) map.delete(key);
    this.cursors.delete(namespace);
  }

  /** Records what a read or a write showed of a counter's row (see known). */
  note(ref: CounterRef, seen: Partial<Known>): void {
    const key = counterKey(ref);
    const k = this.known.get(key) ?? { checkpointUs: 0, lastWriteUs: 0, partitions: [] };
    this.known.set(key, {
      checkpointUs: Math.max(k.checkpointUs, seen.checkpointUs ?? 0),
      lastWriteUs: Math.max(k.lastWriteUs, seen.lastWriteUs ?? 0),
      partitions: seen.partitions ?? k.partitions,
    });
  }

  /**
   * `USING TIMESTAMP <checkpointUs>`: Cassandra keeps the cell with the highest write
   * timestamp, so a checkpoint for an older window that arrives late (another instance, a
   * retry) loses to the newer one, with no read and no lock. Two instances rolling up the
   * same window compute the same (count, checkpoint) pair, and count and checkpoint_us are
   * written in one statement to one row, so they never mix.
   */
  async write(items: CheckpointWrite[]): Promise<void> {
    await Promise.all(
      items.map(async (it) => {
        const t = BigInt(it.checkpointUs);
        const key = counterKey(it.ref);
        const seen = this.known.get(key);
        this.pendingSince.delete(key);
        // The partitions element tombstones carry the checkpoint's timestamp too: an element
        // of a partition written after the checkpoint is newer and survives (see ./schema.ts).
        const parts = (seen?.partitions ?? []).map(BigInt);
        await this.batches.write(CHECKPOINT, [t, it.count, t, parts, it.ref.namespace, it.ref.name]);
        this.note(it.ref, { checkpointUs: it.checkpointUs });
        // Only once the checkpoint is durable: a pending counter never loses its mark.
        if (seen === undefined || seen.lastWriteUs <= it.checkpointUs) await this.clearPending(it.ref, it.checkpointUs);
      }),
    );
  }

  /**
   * Reads up to LIST_PER_SWEEP marks of the namespace's pending partitions, each shard on from
   * where the last listing stopped (starting it over once it reached its end), and returns the
   * counters due, oldest first. A mark can outlive its roll-up (a process died between the
   * checkpoint and the delete, or the delete was skipped): a mark this process knows to be at
   * or before the counter's checkpoint is deleted at once; one it knows nothing about is
   * confirmed against the counter's roll-up row (and deleted when stale); any other is
   * pending as far as this process knows (see `known`), and listed without a read.
   *
   * With `steadyBeforeUs`, a mark newer than `upToUs` (its counter still being written) is
   * listed too once a listing saw it so at or before `steadyBeforeUs` (see pendingSince) with
   * no checkpoint written here since: the first listing only starts the clock, without a read.
   */
  async listPending({ namespace, upToUs, limit, steadyBeforeUs }: PendingQuery): Promise<CounterRef[]> {
    if (limit <= 0) return [];
    const shards = this.layout.pendingShards;
    const perShard = Math.max(16, Math.ceil(LIST_PER_SWEEP / shards));
    let cursors = this.cursors.get(namespace);
    if (!cursors) this.cursors.set(namespace, (cursors = new Array<string>(shards).fill('')));
    const candidates: { name: string; lastWriteUs: number; steady: boolean }[] = [];
    await Promise.all(
      cursors.map(async (after, shard) => {
        const { routingKey } = this.replicas.of([namespace, shard]);
        const r = await this.cql.read(LIST, [namespace, shard, after, perShard], routingKey ? { routingKey } : {}, 'background');
        for (const row of r.rows) {
          const lastWriteUs = Number(row['last_write_us'] as bigint);
          if (lastWriteUs <= upToUs) candidates.push({ name: row['counter'] as string, lastWriteUs, steady: false });
          else if (steadyBeforeUs !== undefined) candidates.push({ name: row['counter'] as string, lastWriteUs, steady: true });
        }
        cursors[shard] = r.rowLength < perShard ? '' : (r.rows[r.rowLength - 1]!['counter'] as string);
      }),
    );
    const confirmed: { name: string; lastWriteUs: number }[] = [];
    await Promise.all(
      candidates.map(async ({ name, lastWriteUs, steady }) => {
        const ref = { namespace, name };
        const known = this.known.get(counterKey(ref));
        if (steady) {
          const key = counterKey(ref);
          const since = this.pendingSince.get(key);
          if (since === undefined) this.pendingSince.set(key, upToUs);
          else if (since <= steadyBeforeUs!) confirmed.push({ name, lastWriteUs });
          return;
        }
        if (known && known.checkpointUs >= lastWriteUs) return this.clearPending(ref, known.checkpointUs);
        if (known && known.lastWriteUs >= lastWriteUs) return void confirmed.push({ name, lastWriteUs });
        const row = await this.read(ref);
        this.note(ref, row);
        if (row.lastWriteUs > row.checkpointUs) {
          if (row.lastWriteUs <= upToUs) confirmed.push({ name, lastWriteUs: row.lastWriteUs });
        } else if (row.lastWriteUs > 0) {
          await this.clearPending(ref, row.checkpointUs);
        }
      }),
    );
    confirmed.sort((a, b) => a.lastWriteUs - b.lastWriteUs || (a.name < b.name ? -1 : 1));
    return confirmed.slice(0, limit).map((c) => ({ namespace, name: c.name }));
  }

  /**
   * Deletes the pending mark `USING TIMESTAMP <checkpointUs>`: a tombstone shadows only cells
   * written with a timestamp at or below its own, and marks are written with their event
   * time, so a mark for an event after the checkpoint survives the delete.
   */
  private async clearPending(ref: CounterRef, checkpointUs: number): Promise<void> {
    await this.batches.write(CLEAR_PENDING, [BigInt(checkpointUs), ref.namespace, pendingShard(this.layout, ref.name), ref.name]);
  }
}
