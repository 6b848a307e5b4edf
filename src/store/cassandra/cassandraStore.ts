import cassandra from 'cassandra-driver';
import { LRUCache } from 'lru-cache';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import type { CounterEvent, CounterRef, NamespaceConfig } from '../../model';
import type { AppendResult, CheckpointWrite, CounterSnapshot, RollupRow, Store, WindowSummary } from '../types';
import { Limiter } from './limiter';
import { MarkCommitter } from './marker';
import { migrations, SCHEMA_VERSION_TABLE } from './schema';

const { types } = cassandra;
type Row = cassandra.types.Row;

export type CassandraOptions = Config['cassandra'];

const EMPTY: WindowSummary = { clearUs: null, sum: 0n, events: 0 };
/** Cassandra's largest TTL (20 years). */
const MAX_TTL_SECONDS = 630_720_000;
const DEFAULT_RETENTION_SECONDS = 7 * 24 * 3600;
/** Bounds on one append (their sum stays under the 3000 ms skew margin advised for Cassandra). */
const PRE_INSERT_BUDGET_MS = 1000;
const INSERT_TIMEOUT_MS = 2000;
const NO_RETRY = new cassandra.policies.retry.FallthroughRetryPolicy();
/** Partitions one counter scan reads at once (the shared limiter bounds the whole instance). */
const SCAN_POOL = 16;

/** Events are kept retention seconds after their write; this covers accept limits and skew. */
const RETENTION_SLACK_S = 3600;

/** first_write_us is min-merged by writing it USING TIMESTAMP (MIN_MERGE_BASE - time). */
const MIN_MERGE_BASE = BigInt(Number.MAX_SAFE_INTEGER);

/** FNV-1a, 32 bits: a stable hash for event buckets and pending shards (must never change). */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

interface Layout {
  secondsPerBucket: number;
  bucketsPerId: number;
  pendingShards: number;
}

/**
 * The scale-out store on Apache Cassandra (schema and reasoning in ./schema.ts).
 *
 * Every query is a prepared, single-partition statement (the driver's default token-aware
 * policy over the local data center sends it straight to a replica), marked idempotent so
 * the driver may retry it, and run with the configured consistency (LOCAL_QUORUM by
 * default: a read at LOCAL_QUORUM sees every write acknowledged at LOCAL_QUORUM). Reads that
 * span many partitions scatter through a shared limiter (bounded concurrency), never
 * multi-partition IN.
 */
export class CassandraStore implements Store {
  readonly kind = 'cassandra';
  readonly exclusiveWriter = false;
  private readonly rc: number;
  private readonly wc: number;
  private readonly limiter: Limiter;
  /** Retention per namespace (events' TTL); namespaces only ever get created, so caching is safe. */
  private readonly retention = new Map<string, number>();
  /** Appends in flight in this process, by idempotency key: a concurrent duplicate waits for the first. */
  private readonly inflight = new Map<string, Promise<void>>();
  /**
   * The newest lastWriteUs seen per counter by readSnapshots: writeCheckpoints deletes the
   * pending mark only when the checkpoint may have caught up, which saves a tombstone per
   * roll-up of a busy counter. Skipping is always safe (lastWriteUs only grows); an unknown
   * counter gets the delete.
   */
  private readonly seenLastWrite = new LRUCache<string, number>({ max: 100_000 });
  /** Group commit of the roll-up marks per counter (see MarkCommitter): last write = max, first write = min. */
  private readonly lastMarks = new MarkCommitter('max');
  private readonly firstMarks = new MarkCommitter('min');

  private constructor(
    private readonly client: cassandra.Client,
    private readonly layout: Layout,
    opts: CassandraOptions,
    private readonly log: Pick<Logger, 'info' | 'warn'>,
  ) {
    this.rc = types.consistencies[opts.readConsistency as keyof typeof types.consistencies] as number;
    this.wc = types.consistencies[opts.writeConsistency as keyof typeof types.consistencies] as number;
    this.limiter = new Limiter(opts.concurrency);
  }

  /** Connects, creates the keyspace and migrates the schema when needed. */
  static async connect(opts: CassandraOptions, log: Pick<Logger, 'info' | 'warn'>): Promise<CassandraStore> {
    const clientOptions: cassandra.ClientOptions = {
      contactPoints: opts.contactPoints,
      localDataCenter: opts.localDataCenter,
      // bigint columns decode to and encode from JS bigint: counts stay exact over 64 bits.
      encoding: { useBigIntAsLong: true },
      socketOptions: { connectTimeout: 5000, readTimeout: 12_000 },
      queryOptions: { prepare: true, isIdempotent: true },
      ...(opts.username ? { credentials: { username: opts.username, password: opts.password ?? '' } } : {}),
    };
    const client = new cassandra.Client(clientOptions);
    try {
      await client.connect();
    } catch (err) {
      await client.shutdown().catch(() => {});
      throw new Error(
        `Cassandra is not reachable at ${opts.contactPoints.join(',')} (data center ${opts.localDataCenter}): ${(err as Error).message}`,
      );
    }
    try {
      const layout = await CassandraStore.migrate(client, opts, log);
      return new CassandraStore(client, layout, opts, log);
    } catch (err) {
      await client.shutdown().catch(() => {});
      throw err;
    }
  }

  private static async migrate(client: cassandra.Client, opts: CassandraOptions, log: Pick<Logger, 'info' | 'warn'>): Promise<Layout> {
    const ks = opts.keyspace;
    const serial = types.consistencies.localSerial;
    const wc = types.consistencies[opts.writeConsistency as keyof typeof types.consistencies] as number;
    await client.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = {'class': 'NetworkTopologyStrategy', '${opts.localDataCenter}': ${opts.replicationFactor}}`,
    );
    await client.execute(`USE ${ks}`);
    await client.execute(SCHEMA_VERSION_TABLE);
    const vr = await client.execute(`SELECT version FROM schema_version WHERE id = 'schema'`, [], { consistency: types.consistencies.localQuorum });
    const version = (vr.first()?.['version'] as number | undefined) ?? 0;
    const steps = migrations();
    for (let v = version; v < steps.length; v++) {
      for (const cql of steps[v]!) await client.execute(cql);
      await client.execute(`INSERT INTO schema_version (id, version, updated_at) VALUES ('schema', ?, toTimestamp(now()))`, [v + 1], {
        prepare: true,
        consistency: wc,
      });
      log.info({ keyspace: ks, version: v + 1 }, 'cassandra schema migrated');
    }
    // The partitioning the data is written with: the first start fixes it (LWT), later
    // starts read it back and warn when the configuration asks for something else.
    const wanted: Record<keyof Layout, number> = {
      secondsPerBucket: opts.secondsPerBucket,
      bucketsPerId: opts.bucketsPerId,
      pendingShards: opts.pendingShards,
    };
    const layout = { ...wanted };
    for (const key of Object.keys(wanted) as (keyof Layout)[]) {
      const r = await client.execute(`INSERT INTO settings (name, value) VALUES (?, ?) IF NOT EXISTS`, [key, String(wanted[key])], {
        prepare: true,
        consistency: wc,
        serialConsistency: serial,
      });
      const row = r.first();
      if (row && row['[applied]'] === false) {
        const stored = Number(row['value']);
        if (stored !== wanted[key]) log.warn({ setting: key, configured: wanted[key], stored }, 'keeping the stored Cassandra layout setting');
        layout[key] = stored;
      }
    }
    return layout;
  }

  // ---- helpers ----------------------------------------------------------------------

  private read(cql: string, params: unknown[], extra: cassandra.QueryOptions = {}): Promise<cassandra.types.ResultSet> {
    return this.limiter.run(() => this.client.execute(cql, params, { prepare: true, isIdempotent: true, consistency: this.rc, ...extra }));
  }

  private write(cql: string, params: unknown[]): Promise<cassandra.types.ResultSet> {
    return this.limiter.run(() => this.client.execute(cql, params, { prepare: true, isIdempotent: true, consistency: this.wc }));
  }

  private timeBucket(timeUs: number): number {
    return Math.floor(timeUs / (this.layout.secondsPerBucket * 1_000_000));
  }

  private eventBucket(eventId: string): number {
    return fnv1a(eventId) % this.layout.bucketsPerId;
  }

  private shard(counter: string): number {
    return fnv1a(counter) % this.layout.pendingShards;
  }

  // ---- namespaces -------------------------------------------------------------------

  async listNamespaces(): Promise<NamespaceConfig[]> {
    // One small partition per namespace; the table holds few rows, so a full scan is fine here.
    const rows: NamespaceConfig[] = [];
    let pageState: string | undefined;
    do {
      const r = await this.read('SELECT name, mode, ttl_seconds, retention_seconds, accept_limit_ms FROM namespaces', [], {
        fetchSize: 1000,
        ...(pageState ? { pageState } : {}),
      });
      for (const row of r.rows) rows.push(this.toNamespace(row));
      pageState = r.pageState ?? undefined;
    } while (pageState);
    return rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async getNamespace(name: string): Promise<NamespaceConfig | undefined> {
    const r = await this.read('SELECT name, mode, ttl_seconds, retention_seconds, accept_limit_ms FROM namespaces WHERE name = ?', [name]);
    const row = r.first();
    return row ? this.toNamespace(row) : undefined;
  }

  async createNamespace(ns: NamespaceConfig): Promise<NamespaceConfig> {
    // An LWT: two instances creating the same name at once agree on one winner.
    const r = await this.limiter.run(() =>
      this.client.execute(
        `INSERT INTO namespaces (name, mode, ttl_seconds, retention_seconds, accept_limit_ms, created_at)
         VALUES (?, ?, ?, ?, ?, toTimestamp(now())) IF NOT EXISTS`,
        [ns.name, ns.mode, ns.ttlSeconds, ns.retentionSeconds, ns.acceptLimitMs],
        { prepare: true, consistency: this.wc, serialConsistency: types.consistencies.localSerial, isIdempotent: false },
      ),
    );
    const row = r.first();
    const stored = row && row['[applied]'] === false && row['mode'] != null ? this.toNamespace(row) : { ...ns };
    this.retention.set(stored.name, stored.retentionSeconds);
    return stored;
  }

  private toNamespace(row: Row): NamespaceConfig {
    const ns: NamespaceConfig = {
      name: row['name'] as string,
      mode: row['mode'] as NamespaceConfig['mode'],
      ttlSeconds: (row['ttl_seconds'] as number | null) ?? null,
      retentionSeconds: row['retention_seconds'] as number,
      acceptLimitMs: row['accept_limit_ms'] as number,
    };
    this.retention.set(ns.name, ns.retentionSeconds);
    return ns;
  }

  private async ttlFor(namespace: string): Promise<number> {
    let s = this.retention.get(namespace);
    if (s === undefined) s = (await this.getNamespace(namespace))?.retentionSeconds ?? DEFAULT_RETENTION_SECONDS;
    return Math.max(1, Math.min(MAX_TTL_SECONDS, s));
  }

  // ---- events -----------------------------------------------------------------------

  /**
   * Idempotency: the event row's primary key is the idempotency key, so a retry rewrites the
   * same row and can never count twice. To report `applied: false` for a retry, each event
   * is first looked up with a single-partition read (LOCAL_QUORUM read after LOCAL_QUORUM
   * write sees it). An LWT (`INSERT ... IF NOT EXISTS`) would make that exact even for two
   * instances racing on one token, but costs a Paxos round (4 round trips) on every write of
   * the hottest path and forbids mixing with plain writes to the same rows; the count is exact
   * either way, only the `applied` flag of such a cross-instance race could be true twice.
   * Within one process, a duplicate of an append still in flight waits for it instead.
   *
   * Order: the roll-up marks (rollups.last_write_us, first_write_us and the pending mark) are
   * written before (in parallel with the lookup) the event itself, and on a retry too: if the
   * process dies between them, the client's retry repairs the marks, and a mark without its
   * event only costs one empty roll-up. An event is therefore never durable without the
   * record that makes the sweeper find it.
   */
  async append(events: CounterEvent[]): Promise<AppendResult[]> {
    const out: AppendResult[] = new Array(events.length);
    await Promise.all(
      events.map(async (e, i) => {
        const key = `${e.namespace}\u0000${e.name}\u0000${e.timeUs}\u0000${e.eventId}`;
        for (;;) {
          const running = this.inflight.get(key);
          if (!running) break;
          await running.catch(() => {});
        }
        let done!: () => void;
        const p = new Promise<void>((r) => (done = r));
        this.inflight.set(key, p);
        try {
          out[i] = { applied: await this.appendOne(e) };
        } finally {
          this.inflight.delete(key);
          done();
        }
      }),
    );
    return out;
  }

  private async appendOne(e: CounterEvent): Promise<boolean> {
    const started = performance.now();
    const tb = BigInt(this.timeBucket(e.timeUs));
    const eb = this.eventBucket(e.eventId);
    const t = BigInt(e.timeUs);
    const ck = `${e.namespace}\u0000${e.name}`;
    const [existing] = await Promise.all([
      this.read(
        'SELECT time_us FROM events WHERE namespace = ? AND counter = ? AND time_bucket = ? AND event_bucket = ? AND time_us = ? AND event_id = ?',
        [e.namespace, e.name, tb, eb, t, e.eventId],
      ),
      this.lastMarks.ensure(ck, e.timeUs, (v) => {
        const vt = BigInt(v);
        return Promise.all([
          this.write('UPDATE rollups USING TIMESTAMP ? SET last_write_us = ? WHERE namespace = ? AND counter = ?', [vt, vt, e.namespace, e.name]),
          this.write('INSERT INTO pending (namespace, shard, counter, last_write_us) VALUES (?, ?, ?, ?) USING TIMESTAMP ?', [
            e.namespace,
            this.shard(e.name),
            e.name,
            vt,
            vt,
          ]),
        ]);
      }),
      this.firstMarks.ensure(ck, e.timeUs, (v) =>
        this.write('UPDATE rollups USING TIMESTAMP ? SET first_write_us = ? WHERE namespace = ? AND counter = ?', [
          MIN_MERGE_BASE - BigInt(v),
          BigInt(v),
          e.namespace,
          e.name,
        ]),
      ),
    ]);
    if (existing.rowLength > 0) return false;
    const ttl = await this.ttlFor(e.namespace);
    // An event must be visible before the roll-up can checkpoint past its time, which is
    // ROLLUP_SKEW_MARGIN_MS after the service accepted it at the earliest. So the append is
    // abandoned (nothing written; the client retries with its token) when the steps before the
    // insert took too long, and the insert itself is bounded and not retried by the driver on
    // another host: at most PRE_INSERT_BUDGET_MS + INSERT_TIMEOUT_MS in all (see docs/cassandra.md).
    await this.limiter.run(() => {
      // checked once a query slot is free, right before the insert is sent
      if (performance.now() - started > PRE_INSERT_BUDGET_MS) {
        throw new Error(`append of ${e.namespace}/${e.name} took over ${PRE_INSERT_BUDGET_MS} ms before its insert; not written`);
      }
      return this.client.execute(
        'INSERT INTO events (namespace, counter, time_bucket, event_bucket, time_us, event_id, clear, delta) VALUES (?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?',
        [e.namespace, e.name, tb, eb, t, e.eventId, e.clear, e.delta, ttl],
        { prepare: true, isIdempotent: true, consistency: this.wc, readTimeout: INSERT_TIMEOUT_MS, retry: NO_RETRY },
      );
    });
    return true;
  }

  async readSnapshots(refs: CounterRef[], settleUs: number): Promise<CounterSnapshot[]> {
    return Promise.all(refs.map((ref) => this.snapshot(ref, settleUs)));
  }

  private async readRollup(ref: CounterRef): Promise<RollupRow & { firstWriteUs: number }> {
    const r = await this.read(
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

  private async snapshot(ref: CounterRef, settleUs: number): Promise<CounterSnapshot> {
    const { firstWriteUs, ...rollup } = await this.readRollup(ref);
    this.seenLastWrite.set(`${ref.namespace}\u0000${ref.name}`, rollup.lastWriteUs);
    if (rollup.lastWriteUs <= rollup.checkpointUs) return { rollup, settled: EMPTY, tail: EMPTY, settleUs };
    // One scatter over the buckets of (checkpoint, last write], split in memory into the
    // settled window (checkpoint, settleUs] and the live tail after max(checkpoint, settleUs).
    // first_write_us bounds the first scan of a counter that has no checkpoint yet. It can be
    // missing while the marks of the counter's very first append are still being written
    // (last_write_us landed first): then fall back on retention, older events have expired.
    // Without that bound the scan would start at time bucket 0 (millions of queries).
    const retentionFloorUs = rollup.lastWriteUs - ((await this.ttlFor(ref.namespace)) + RETENTION_SLACK_S) * 1_000_000;
    const fromUs = Math.max(rollup.checkpointUs, firstWriteUs - 1, retentionFloorUs);
    const split = Math.max(rollup.checkpointUs, settleUs);
    const settled = new Summer();
    const tail = new Summer();
    await this.scan(ref, fromUs, rollup.lastWriteUs, (timeUs, clear, delta) => {
      if (timeUs <= settleUs) settled.add(timeUs, clear, delta);
      if (timeUs > split) tail.add(timeUs, clear, delta);
    });
    return {
      rollup,
      settled: settleUs > rollup.checkpointUs ? settled.result() : EMPTY,
      tail: tail.result(),
      settleUs,
    };
  }

  /**
   * Visits every event of the counter with time in (fromUs, ∞) stored in the time buckets up
   * to lastWriteUs' one: bucket-by-bucket single-partition queries, run through the limiter,
   * each paged.
   */
  private async scan(
    ref: CounterRef,
    fromUs: number,
    lastWriteUs: number,
    visit: (timeUs: number, clear: boolean, delta: bigint) => void,
  ): Promise<void> {
    const first = this.timeBucket(fromUs + 1);
    const last = this.timeBucket(Math.max(lastWriteUs, fromUs + 1));
    const from = BigInt(fromUs);
    const scanPartition = async (tb: number, eb: number): Promise<void> => {
      let pageState: string | undefined;
      do {
        const r = await this.read(
          'SELECT time_us, clear, delta FROM events WHERE namespace = ? AND counter = ? AND time_bucket = ? AND event_bucket = ? AND time_us > ?',
          [ref.namespace, ref.name, BigInt(tb), eb, from],
          { fetchSize: 5000, ...(pageState ? { pageState } : {}) },
        );
        for (const row of r.rows) visit(Number(row['time_us'] as bigint), row['clear'] === true, (row['delta'] as bigint | null) ?? 0n);
        pageState = r.pageState ?? undefined;
      } while (pageState);
    };
    // A bounded pool walks the partitions: a long window (a counter quiet for days) then costs
    // time, never one promise per partition held in memory at once.
    const partitions = (function* (bucketsPerId: number) {
      for (let tb = first; tb <= last; tb++) for (let eb = 0; eb < bucketsPerId; eb++) yield [tb, eb] as const;
    })(this.layout.bucketsPerId);
    const worker = async (): Promise<void> => {
      for (let n = partitions.next(); !n.done; n = partitions.next()) await scanPartition(n.value[0], n.value[1]);
    };
    const total = (last - first + 1) * this.layout.bucketsPerId;
    await Promise.all(Array.from({ length: Math.min(SCAN_POOL, total) }, worker));
  }

  /**
   * `USING TIMESTAMP <checkpointUs>`: Cassandra keeps the cell with the highest write
   * timestamp, so a checkpoint for an older window that arrives late (another instance, a
   * retry) loses to the newer one, with no read and no lock. Two instances rolling up the
   * same window compute the same (count, checkpoint) pair, and count and checkpoint_us are
   * written in one statement to one row, so they never mix.
   */
  async writeCheckpoints(items: CheckpointWrite[]): Promise<void> {
    await Promise.all(
      items.map(async (it) => {
        const t = BigInt(it.checkpointUs);
        await this.write('UPDATE rollups USING TIMESTAMP ? SET count = ?, checkpoint_us = ? WHERE namespace = ? AND counter = ?', [
          t,
          it.count,
          t,
          it.ref.namespace,
          it.ref.name,
        ]);
        const seen = this.seenLastWrite.get(`${it.ref.namespace}\u0000${it.ref.name}`);
        if (seen === undefined || seen <= it.checkpointUs) await this.clearPending(it.ref, it.checkpointUs);
      }),
    );
  }

  /**
   * Deletes the pending mark `USING TIMESTAMP <checkpointUs>`: a tombstone shadows only cells
   * written with a timestamp at or below its own, and marks are written with their event
   * time, so a mark for an event after the checkpoint survives the delete.
   */
  private async clearPending(ref: CounterRef, checkpointUs: number): Promise<void> {
    await this.write('DELETE FROM pending USING TIMESTAMP ? WHERE namespace = ? AND shard = ? AND counter = ?', [
      BigInt(checkpointUs),
      ref.namespace,
      this.shard(ref.name),
      ref.name,
    ]);
  }

  /**
   * Reads every shard of the namespace's pending partition (up to `limit` marks per shard),
   * confirms each candidate against its roll-up row (a mark can outlive its roll-up when a
   * process died between the checkpoint and the delete; such a stale mark is deleted here),
   * and returns the oldest first.
   */
  async listPending(namespace: string, upToUs: number, limit: number): Promise<CounterRef[]> {
    if (limit <= 0) return [];
    const shards = Array.from({ length: this.layout.pendingShards }, (_, s) => s);
    const candidates: string[] = [];
    await Promise.all(
      shards.map(async (shard) => {
        const r = await this.read('SELECT counter, last_write_us FROM pending WHERE namespace = ? AND shard = ? LIMIT ?', [
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
        const row = await this.readRollup(ref);
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
   * Events carry a TTL of their namespace's retention, so Cassandra expires them itself
   * (and TimeWindowCompactionStrategy drops whole expired SSTables): nothing to delete here.
   */
  async purge(_ns: NamespaceConfig, _beforeUs: number): Promise<number> {
    return 0;
  }

  async ping(): Promise<void> {
    await this.client.execute('SELECT release_version FROM system.local', [], { consistency: types.consistencies.localOne });
  }

  async close(): Promise<void> {
    await Promise.all([...this.inflight.values()].map((p) => p.catch(() => {})));
    await this.client.shutdown();
  }

  /** The layout in use (tests, logs). */
  get settings(): Readonly<Layout> {
    return this.layout;
  }

  /** Drops a keyspace (tests' cleanup). */
  async dropKeyspace(keyspace: string): Promise<void> {
    await this.client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  }
}

/** Reduces a window's events in any order to a WindowSummary (see fold.ts). */
class Summer {
  private clearUs: number | null = null;
  private readonly adds: { t: number; d: bigint }[] = [];

  add(timeUs: number, clear: boolean, delta: bigint): void {
    if (clear) {
      if (this.clearUs === null || timeUs > this.clearUs) this.clearUs = timeUs;
    } else {
      this.adds.push({ t: timeUs, d: delta });
    }
  }

  result(): WindowSummary {
    let sum = 0n;
    let events = 0;
    const after = this.clearUs ?? -Infinity;
    for (const a of this.adds) {
      if (a.t > after) {
        sum += a.d;
        events++;
      }
    }
    if (this.clearUs === null && events === 0) return EMPTY;
    return { clearUs: this.clearUs, sum, events: events + (this.clearUs === null ? 0 : 1) };
  }
}
