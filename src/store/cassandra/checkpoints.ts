import { LRUCache } from 'lru-cache';
import { counterKey, type CounterRef } from '../../model';
import type { CheckpointRow, CheckpointWrite, PendingQuery } from '../types';
import { pendingShard, type Layout } from './layout';
import type { CqlSession } from './session';

/** Counters whose newest seen lastWriteUs is remembered (see CheckpointTable.seenLastWrite). */
const SEEN_LAST_WRITE_ENTRIES = 100_000;

/** A counter's `rollups` row: its checkpoint, and the first-write mark that bounds its first scan. */
export type StoredCheckpoint = CheckpointRow & { firstWriteUs: number };

/**
 * The checkpoint side of the `rollups` table and the `pending` table: reading a counter's
 * row, moving checkpoints forward, and finding and releasing pending marks. The marks
 * themselves are written with each append (./append.ts).
 */
export class CheckpointTable {
  /**
   * The newest lastWriteUs seen per counter by readSnapshots: writeCheckpoints deletes the
   * pending mark only when the checkpoint may have caught up, which saves a tombstone per
   * roll-up of a busy counter. Skipping is always safe (lastWriteUs only grows); an unknown
   * counter gets the delete.
   */
  private readonly seenLastWrite = new LRUCache<string, number>({ max: SEEN_LAST_WRITE_ENTRIES });

  constructor(
    private readonly cql: CqlSession,
    private readonly layout: Layout,
  ) {}

  async read(ref: CounterRef): Promise<StoredCheckpoint> {
    const r = await this.cql.read(
      'SELECT count, checkpoint_us, last_write_us, first_write_us FROM rollups WHERE namespace = ? AND counter = ?',
      [ref.namespace, ref.name],
    );
    const row = r.first();
    return {
      count: (row?.['count'] as bigint | null) ?? 0n,
      checkpointUs: Number((row?.['checkpoint_us'] as bigint | null) ?? 0n),
      lastWriteUs: Number((row?.['last_write_us'] as bigint | null) ?? 0n),
      firstWriteUs: Number((row?.['first_write_us'] as bigint | null) ?? 0n),
    };
  }

  /** Records the lastWriteUs a snapshot read for a counter (see seenLastWrite). */
  noteLastWrite(ref: CounterRef, lastWriteUs: number): void {
    this.seenLastWrite.set(counterKey(ref), lastWriteUs);
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
        await this.cql.write('UPDATE rollups USING TIMESTAMP ? SET count = ?, checkpoint_us = ? WHERE namespace = ? AND counter = ?', [
          t,
          it.count,
          t,
          it.ref.namespace,
          it.ref.name,
        ]);
        const seen = this.seenLastWrite.get(counterKey(it.ref));
        if (seen === undefined || seen <= it.checkpointUs) await this.clearPending(it.ref, it.checkpointUs);
      }),
    );
  }

  /**
   * Reads every shard of the namespace's pending partition (up to `limit` marks per shard),
   * confirms each candidate against its roll-up row (a mark can outlive its roll-up when a
   * process died between the checkpoint and the delete; such a stale mark is deleted here),
   * and returns the oldest first.
   */
  async listPending({ namespace, upToUs, limit }: PendingQuery): Promise<CounterRef[]> {
    if (limit <= 0) return [];
    const shards = Array.from({ length: this.layout.pendingShards }, (_, s) => s);
    const candidates: string[] = [];
    await Promise.all(
      shards.map(async (shard) => {
        const r = await this.cql.read('SELECT counter, last_write_us FROM pending WHERE namespace = ? AND shard = ? LIMIT ?', [
          namespace,
          shard,
          limit,
        ]);
        for (const row of r.rows) if (Number(row['last_write_us'] as bigint) <= upToUs) candidates.push(row['counter'] as string);
      }),
    );
    const confirmed: { name: string; lastWriteUs: number }[] = [];
    await Promise.all(
      candidates.map(async (name) => {
        const ref = { namespace, name };
        const row = await this.read(ref);
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
    await this.cql.write('DELETE FROM pending USING TIMESTAMP ? WHERE namespace = ? AND shard = ? AND counter = ?', [
      BigInt(checkpointUs),
      ref.namespace,
      pendingShard(this.layout, ref.name),
      ref.name,
    ]);
  }
}
