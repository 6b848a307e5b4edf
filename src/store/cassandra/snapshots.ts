import type { CounterRef } from '../../model';
import type { CounterSnapshot, SnapshotQuery } from '../types';
import type { CheckpointTable } from './checkpoints';
import { partitionOf, timeBucket, US_PER_S, type Layout } from './layout';
import type { NamespaceTable } from './namespaces';
import type { Lane } from './limiter';
import type { CqlSession } from './session';
import { TurnGrouper } from './grouper';
import { ReplicaGroups } from './replicas';
import { named } from './tracker';
import { EMPTY_WINDOW, Summer } from './summer';

/** Partitions one counter scan reads at once (the shared limiter bounds the whole instance). */
const SCAN_POOL = 16;
/** Rows per page of a scan. */
const EVENT_PAGE_SIZE = 5000;
/** Counters' partitions one grouped scan reads at most (`counter IN ?`). */
const COUNTERS_PER_SCAN = 32;
/**
 * A grouped scan reads from its oldest counter's lower bound: counters whose bounds lie
 * further apart are scanned apart, so no counter re-reads more than this of events it
 * already checkpointed (the rows before its own bound are read and dropped).
 */
const SCAN_SPREAD_US = 2 * US_PER_S;
const SCAN = named(
  'events scan',
  'SELECT counter, time_us, clear, delta FROM events WHERE namespace = ? AND counter IN ? AND time_bucket = ? AND event_bucket = ? AND time_us > ?',
);

type Visit = (timeUs: number, clear: boolean, delta: bigint) => void;

/** One counter's share of a grouped scan: its events after fromUs in the group's partition. */
interface ScanItem {
  name: string;
  fromUs: number;
  visit: Visit;
}

interface ScanGroup {
  namespace: string;
  tb: number;
  eb: number;
  lane: Lane;
  routingKey: Buffer | undefined;
}

/** Chunks of counters with nearby lower bounds (see SCAN_SPREAD_US). */
function scanChunks(items: ScanItem[], max: number): ScanItem[][] {
  const sorted = [...items].sort((a, b) => a.fromUs - b.fromUs);
  const out: ScanItem[][] = [];
  let cur: ScanItem[] = [];
  for (const it of sorted) {
    if (cur.length > 0 && (cur.length >= max || it.fromUs - cur[0]!.fromUs > SCAN_SPREAD_US)) {
      out.push(cur);
      cur = [];
    }
    cur.push(it);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
/** Events are kept retention seconds after their write; this covers accept limits and skew. */
const RETENTION_SLACK_S = 3600;

/**
 * readSnapshots: a counter's checkpoint row, then one bounded scatter over the events
 * partitions after it, reduced in memory into the settled window and the live tail.
 */
export class SnapshotReader {
  /**
   * The partition scans queued in one event-loop turn (the counters of a roll-up batch,
   * concurrent reads), grouped by lane and events partition (time bucket, event bucket) of
   * counters on the same replica, into `counter IN ?` queries (see scanChunks).
   */
  private readonly scans: TurnGrouper<ScanGroup, ScanItem, void>;
  private readonly replicas: ReplicaGroups;

  constructor(
    private readonly cql: CqlSession,
    private readonly layout: Layout,
    private readonly namespaces: NamespaceTable,
    private readonly checkpoints: CheckpointTable,
  ) {
    this.replicas = new ReplicaGroups(cql.client);
    this.scans = new TurnGrouper((g, items) => this.scanGroup(g, items), COUNTERS_PER_SCAN, scanChunks);
  }

  /** One grouped scan: every counter's events after its own lower bound, paged. */
  private async scanGroup({ namespace, tb, eb, lane, routingKey }: ScanGroup, items: ScanItem[]): Promise<void[]> {
    const byName = new Map<string, ScanItem[]>();
    for (const it of items) {
      const list = byName.get(it.name);
      if (list) list.push(it);
      else byName.set(it.name, [it]);
    }
    const from = BigInt(Math.min(...items.map((it) => it.fromUs)));
    let pageState: string | undefined;
    do {
      const r = await this.cql.read(
        SCAN,
        [namespace, [...byName.keys()], BigInt(tb), eb, from],
        { fetchSize: EVENT_PAGE_SIZE, ...(pageState ? { pageState } : {}), ...(routingKey ? { routingKey } : {}) },
        lane,
        byName.size,
      );
      for (const row of r.rows) {
        const timeUs = Number(row['time_us'] as bigint);
        const clear = row['clear'] === true;
        const delta = (row['delta'] as bigint | null) ?? 0n;
        for (const it of byName.get(row['counter'] as string) ?? []) if (timeUs > it.fromUs) it.visit(timeUs, clear, delta);
      }
      pageState = r.pageState ?? undefined;
    } while (pageState);
    return items.map(() => undefined);
  }

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
    // A counter without a checkpoint has no lower bound but retention: older events have
    // expired. Without it the scan would start at time bucket 0 (millions of queries). Only a
    // row without listed partitions (written before they existed) is scanned bucket by bucket:
    // for those, first_write_us (written by earlier versions) bounds the range too; a row with
    // listed partitions reads just those, whatever the range.
    const retentionFloorUs = checkpoint.lastWriteUs - ((await this.namespaces.ttlFor(ref.namespace)) + RETENTION_SLACK_S) * US_PER_S;
    const fromUs = Math.max(checkpoint.checkpointUs, partitions.length > 0 ? 0 : firstWriteUs - 1, retentionFloorUs);
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
    visit: Visit,
  ): Promise<void> {
    const first = timeBucket(this.layout, fromUs + 1);
    const last = timeBucket(this.layout, Math.max(lastWriteUs, fromUs + 1));
    const scanPartition = (tb: number, eb: number): Promise<void> => {
      const { group, routingKey } = this.replicas.of([ref.namespace, ref.name, BigInt(tb), eb]);
      // A partition holds only events of its time bucket: a bound before the bucket's start
      // reads the same rows, and as the bucket's start it groups with other counters' scans.
      const from = Math.max(fromUs, tb * this.layout.secondsPerBucket * US_PER_S - 1);
      return this.scans.add(`${lane}\u0000${ref.namespace}\u0000${tb}\u0000${eb}\u0000${group}`, { namespace: ref.namespace, tb, eb, lane, routingKey }, { name: ref.name, fromUs: from, visit });
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
