import type { CounterRef } from '../../model';
import type { CounterSnapshot, SnapshotQuery } from '../types';
import type { CheckpointTable } from './checkpoints';
import { partitionOf, timeBucket, US_PER_S, type Layout } from './layout';
import type { NamespaceTable } from './namespaces';
import type { Lane } from './limiter';
import type { CqlSession } from './session';
import { named } from './tracker';
import { EMPTY_WINDOW, Summer } from './summer';

/** Partitions one counter scan reads at once (the shared limiter bounds the whole instance). */
const SCAN_POOL = 16;
/** Rows per page of one events partition. */
const EVENT_PAGE_SIZE = 5000;
const SCAN = named(
  'events scan',
  'SELECT time_us, clear, delta FROM events WHERE namespace = ? AND counter = ? AND time_bucket = ? AND event_bucket = ? AND time_us > ?',
);
/** Events are kept retention seconds after their write; this covers accept limits and skew. */
const RETENTION_SLACK_S = 3600;

/**
 * readSnapshots: a counter's checkpoint row, then one bounded scatter over the events
 * partitions after it, reduced in memory into the settled window and the live tail.
 */
export class SnapshotReader {
  constructor(
    private readonly cql: CqlSession,
    private readonly layout: Layout,
    private readonly namespaces: NamespaceTable,
    private readonly checkpoints: CheckpointTable,
  ) {}

  async read({ refs, settleUs, background }: SnapshotQuery): Promise<CounterSnapshot[]> {
    const lane: Lane = background ? 'background' : 'request';
    return Promise.all(refs.map((ref) => this.snapshot(ref, settleUs, lane)));
  }

  private async snapshot(ref: CounterRef, settleUs: number, lane: Lane): Promise<CounterSnapshot> {
    const { firstWriteUs, partitions, ...checkpoint } = await this.checkpoints.read(ref, lane);
    this.checkpoints.note(ref, { ...checkpoint, partitions });
    if (checkpoint.lastWriteUs <= checkpoint.checkpointUs) return { checkpoint, settled: EMPTY_WINDOW, tail: EMPTY_WINDOW, settleUs };
    // One scatter over the buckets of (checkpoint, last write], split in memory into the
    // settled window (checkpoint, settleUs] and the live tail after max(checkpoint, settleUs).
    // first_write_us bounds the first scan of a counter that has no checkpoint yet. It can be
    // missing while the marks of the counter's very first append are still being written
    // (last_write_us landed first): then fall back on retention, older events have expired.
    // Without that bound the scan would start at time bucket 0 (millions of queries).
    const retentionFloorUs = checkpoint.lastWriteUs - ((await this.namespaces.ttlFor(ref.namespace)) + RETENTION_SLACK_S) * US_PER_S;
    const fromUs = Math.max(checkpoint.checkpointUs, firstWriteUs - 1, retentionFloorUs);
    const split = Math.max(checkpoint.checkpointUs, settleUs);
    const settled = new Summer();
    const tail = new Summer();
    await this.scan(ref, fromUs, checkpoint.lastWriteUs, partitions, lane, (timeUs, clear, delta) => {
      if (timeUs <= settleUs) settled.add(timeUs, clear, delta);
      if (timeUs > split) tail.add(timeUs, clear, delta);
    });
    return {
      checkpoint,
      settled: settleUs > checkpoint.checkpointUs ? settled.result() : EMPTY_WINDOW,
      tail: tail.result(),
      settleUs,
    };
  }

  /**
   * Visits every event of the counter with time in (fromUs, ∞) stored in the time buckets up
   * to lastWriteUs' one: single-partition queries, run through the limiter, each paged. Only
   * the partitions listed in the row's `partitions` can hold events after the checkpoint
   * (see ./schema.ts); a row without any (written before they existed) has every partition
   * of the range scanned.
   */
  private async scan(
    ref: CounterRef,
    fromUs: number,
    lastWriteUs: number,
    listed: number[],
    lane: Lane,
    visit: (timeUs: number, clear: boolean, delta: bigint) => void,
  ): Promise<void> {
    const first = timeBucket(this.layout, fromUs + 1);
    const last = timeBucket(this.layout, Math.max(lastWriteUs, fromUs + 1));
    const from = BigInt(fromUs);
    const scanPartition = async (tb: number, eb: number): Promise<void> => {
      let pageState: string | undefined;
      do {
        const r = await this.cql.read(
          SCAN,
          [ref.namespace, ref.name, BigInt(tb), eb, from],
          { fetchSize: EVENT_PAGE_SIZE, ...(pageState ? { pageState } : {}) },
          lane,
        );
        for (const row of r.rows) visit(Number(row['time_us'] as bigint), row['clear'] === true, (row['delta'] as bigint | null) ?? 0n);
        pageState = r.pageState ?? undefined;
      } while (pageState);
    };
    // A bounded pool walks the partitions: a long window (a counter quiet for days) then costs
    // time, never one promise per partition held in memory at once.
    const inRange = listed.map((id) => partitionOf(this.layout, id)).filter(([tb]) => tb >= first && tb <= last);
    const partitions =
      listed.length > 0
        ? inRange.values()
        : (function* (bucketsPerId: number) {
            for (let tb = first; tb <= last; tb++) for (let eb = 0; eb < bucketsPerId; eb++) yield [tb, eb] as const;
          })(this.layout.bucketsPerId);
    const worker = async (): Promise<void> => {
      for (let n = partitions.next(); !n.done; n = partitions.next()) await scanPartition(n.value[0], n.value[1]);
    };
    const total = listed.length > 0 ? inRange.length : (last - first + 1) * this.layout.bucketsPerId;
    await Promise.all(Array.from({ length: Math.min(SCAN_POOL, total) }, worker));
  }
}
