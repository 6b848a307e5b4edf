import type { CqlSession } from './session';
import type { Layout } from './layout';
import { named } from './tracker';

/** Rows per page of the removal's scans, and deletes in flight per page (through the limiter's background lane). */
const PAGE_SIZE = 500;
const DELETES_PER_STEP = 32;

const ROLLUP_COUNTERS = named('removal rollups scan', 'SELECT counter FROM rollups WHERE namespace = ? ALLOW FILTERING');
const EVENT_PARTITIONS = named('removal events scan', 'SELECT DISTINCT namespace, counter, time_bucket, event_bucket FROM events');
const DELETE_ROLLUP = named('removal rollups delete', 'DELETE FROM rollups USING TIMESTAMP ? WHERE namespace = ? AND counter = ?');
const DELETE_EVENTS = named(
  'removal events delete',
  'DELETE FROM events USING TIMESTAMP ? WHERE namespace = ? AND counter = ? AND time_bucket = ? AND event_bucket = ?',
);
const DELETE_PENDING = named('removal pending delete', 'DELETE FROM pending USING TIMESTAMP ? WHERE namespace = ? AND shard = ?');

/**
 * The data removal of a deleted namespace on Cassandra (deleteNamespace's background part).
 *
 * - `events`: the partitions of the namespace cannot be listed from its own rows (old,
 *   checkpointed partitions leave `rollups.partitions`, and a counter's time buckets span its
 *   whole life), so the partition keys of the whole table are scanned, paged (a token-range
 *   scan: SELECT DISTINCT reads partition keys only), those of the namespace deleted as whole
 *   partitions. Costly on a large table, but deleting a namespace is a rare admin operation,
 *   and the scan runs in the limiter's background lane, behind every append and read.
 * - `rollups`: its rows of the namespace (a filtered scan, paged), one row delete each.
 * - `pending`: one partition delete per shard.
 * - `event_keys`: no longer written (schema step 3); what earlier versions wrote expires by its
 *   TTL (minutes), and no lookup reads it.
 *
 * Every delete is written `USING TIMESTAMP <now>`: it shadows each cell written before it,
 * whatever timestamp scheme the cell used (event times, checkpoint times), and none written
 * later. Two cells escape: a `first_write_us` (min-merged with timestamps far in the future,
 * see ./append.ts), which after a re-create only widens that counter's first scan (bounded by
 * retention, and by the partitions listed), and a cell written for the re-created namespace
 * with an event time before the removal (an idempotency token's generation time can be up to
 * its accept limit old): see README, "Namespaces are the control plane".
 */
export class NamespaceRemoval {
  constructor(
    private readonly cql: CqlSession,
    private readonly layout: Layout,
  ) {}

  async remove(namespace: string): Promise<{ removed: number }> {
    const ts = BigInt(Date.now()) * 1000n;
    let removed = 0;
    await this.scan(ROLLUP_COUNTERS, [namespace], async (rows) => {
      await this.deleteAll(rows.map((r) => [DELETE_ROLLUP, [ts, namespace, r['counter']]]));
      removed += rows.length;
    });
    await this.scan(EVENT_PARTITIONS, [], async (rows) => {
      const mine = rows.filter((r) => r['namespace'] === namespace);
      await this.deleteAll(mine.map((r) => [DELETE_EVENTS, [ts, namespace, r['counter'], r['time_bucket'], r['event_bucket']]]));
      removed += mine.length;
    });
    const shards = Array.from({ length: this.layout.pendingShards }, (_, shard) => shard);
    await this.deleteAll(shards.map((shard) => [DELETE_PENDING, [ts, namespace, shard]]));
    return { removed };
  }

  /** Pages through a query's rows, handing each page over before the next is read. */
  private async scan(cql: string, params: unknown[], page: (rows: { [k: string]: unknown }[]) => Promise<void>): Promise<void> {
    let pageState: string | undefined;
    do {
      const r = await this.cql.read(cql, params, { fetchSize: PAGE_SIZE, ...(pageState ? { pageState } : {}) });
      await page(r.rows);
      pageState = r.pageState ?? undefined;
    } while (pageState);
  }

  private async deleteAll(statements: [string, unknown[]][]): Promise<void> {
    for (let i = 0; i < statements.length; i += DELETES_PER_STEP) {
      await Promise.all(
        statements.slice(i, i + DELETES_PER_STEP).map(([q, p]) =>
          this.cql.slot(() => this.cql.client.execute(q, p, { prepare: true, isIdempotent: true, consistency: this.cql.writeConsistency })),
        ),
      );
    }
  }
}
