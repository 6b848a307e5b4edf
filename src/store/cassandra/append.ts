import cassandra from 'cassandra-driver';
import { counterKey, type CounterEvent } from '../../model';
import type { AppendResult } from '../types';
import { eventBucket, partitionId, pendingShard, timeBucket, type Layout } from './layout';
import { BatchWriter } from './batcher';
import { EventLookup } from './eventLookup';
import { MarkCommitter } from './marker';
import type { NamespaceTable } from './namespaces';
import type { CqlSession } from './session';
import { named } from './tracker';

/** Bounds on one append (their sum stays under the 3000 ms skew margin advised for Cassandra). */
const PRE_INSERT_BUDGET_MS = 1000;
const INSERT_TIMEOUT_MS = 2000;
const NO_RETRY = new cassandra.policies.retry.FallthroughRetryPolicy();

const LAST_WRITE = named('append mark last write', 'UPDATE rollups USING TIMESTAMP ? SET last_write_us = ?, partitions = partitions + ? WHERE namespace = ? AND counter = ?');
const PENDING = named('append mark pending', 'INSERT INTO pending (namespace, shard, counter, last_write_us) VALUES (?, ?, ?, ?) USING TIMESTAMP ?');
const INSERT = named(
  'append insert',
  'INSERT INTO events (namespace, counter, time_bucket, event_bucket, time_us, event_id, clear, delta) VALUES (?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?',
);

/**
 * Idempotency: the event row's primary key is the idempotency key, so a retry rewrites the
 * same row and can never count twice. Whether a write is a retry (`applied: false`) is asked
 * only when a client selects `applied` (`CounterEvent.unasked` otherwise): the event row
 * itself is then read before the write, beside the marks (./eventLookup.ts: the lookups of
 * one turn grouped, up to 16 per query). A retry found is not written again.
 * An unasked write costs no read at all and answers `applied` undefined; a retry of it that
 * asks finds its row like any other. An LWT (`INSERT ... IF NOT EXISTS`) would make `applied`
 * exact even for two instances racing on one token, but costs a Paxos round (4 round trips)
 * on every write of the hottest path and forbids mixing with plain writes to the same rows;
 * the count is exact either way, only the `applied` flag of such a cross-instance race could
 * be true twice. Within one process, a duplicate of an append still in flight waits for it
 * instead. An event whose key was made here (a write without a token, CounterEvent.unique)
 * can have no earlier copy: it is written without the read.
 *
 * (Until schema step 3's table went unused, `applied` was answered from `event_keys`, a key
 * row written beside each event and read in grouped lookups: a row more per write for every
 * client, most of which never select `applied`.)
 *
 * Writes are group-committed: the marks and the event rows of concurrent appends (one bulk
 * request, many requests) go out in shared unlogged batches (./batcher.ts), marks first.
 *
 * Order: the roll-up marks (rollups.last_write_us with the event's partition in
 * rollups.partitions, and the pending mark; no first_write_us any more: the partitions
 * listed bound the first scan) are
 * written before (in parallel with the lookup) the event itself, and on a retry too: if the
 * process dies between them, the client's retry repairs the marks, and a mark without its
 * event only costs one empty roll-up. An event is therefore never durable without the
 * record that makes the sweeper find it.
 */
export class EventAppender {
  /** Appends in flight in this process, by idempotency key: a concurrent duplicate waits for the first. */
  private readonly inflight = new Map<string, Promise<void>>();
  /** Group commit of the roll-up marks per counter and events partition (see MarkCommitter): last write = max. */
  private readonly lastMarks = new MarkCommitter('max');
  /** Shared unlogged batches: the marks, and the (bounded, never retried elsewhere) event inserts. */
  private readonly marks: BatchWriter;
  private readonly inserts: BatchWriter;
  private readonly lookup: EventLookup;

  constructor(
    private readonly cql: CqlSession,
    private readonly layout: Layout,
    private readonly namespaces: NamespaceTable,
  ) {
    this.marks = new BatchWriter(cql);
    this.inserts = new BatchWriter(cql, { readTimeout: INSERT_TIMEOUT_MS, retry: NO_RETRY });
    this.lookup = new EventLookup(cql, layout);
  }

  async append(events: CounterEvent[]): Promise<AppendResult[]> {
    const out: AppendResult[] = new Array(events.length);
    await Promise.all(
      events.map(async (e, i) => {
        const key = `${counterKey(e)}\u0000${e.timeUs}\u0000${e.eventId}`;
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

  /** Resolves once every append in flight has settled (before the client shuts down). */
  async drain(): Promise<void> {
    await Promise.all([...this.inflight.values()].map((p) => p.catch(() => {})));
  }

  private async appendOne(e: CounterEvent): Promise<boolean | undefined> {
    const started = performance.now();
    const tbn = timeBucket(this.layout, e.timeUs);
    const tb = BigInt(tbn);
    const eb = eventBucket(this.layout, e.eventId);
    const part = BigInt(partitionId(this.layout, tbn, eb));
    const t = BigInt(e.timeUs);
    const ck = counterKey(e);
    const ask = !e.unique && !e.unasked;
    const [found] = await Promise.all([
      ask ? this.lookup.has(e) : false,
      // Keyed by counter and events partition: each partition's element in `partitions` must
      // carry the newest event time written to it (see ./schema.ts), not only the counter's.
      this.lastMarks.ensure(`${ck}\u0000${part}`, e.timeUs, (v) => {
        const vt = BigInt(v);
        return Promise.all([
          this.marks.write(LAST_WRITE, [vt, vt, [part], e.namespace, e.name]),
          this.marks.write(PENDING, [e.namespace, pendingShard(this.layout, e.name), e.name, vt, vt]),
        ]);
      }),
    ]);
    if (found) return false;
    const ttl = await this.namespaces.ttlFor(e.namespace);
    // An event must be visible before the roll-up can checkpoint past its time, which is
    // ROLLUP_SKEW_MARGIN_MS after the service accepted it at the earliest. So the append is
    // abandoned (nothing written; the client retries with its token) when the steps before the
    // insert took too long, and the insert itself is bounded and not retried by the driver on
    // another host: at most PRE_INSERT_BUDGET_MS + INSERT_TIMEOUT_MS in all (see docs/cassandra.md).
    // The check runs once the insert's batch has a query slot, right before it is sent.
    const inTime = (): void => {
      if (performance.now() - started > PRE_INSERT_BUDGET_MS) {
        throw new Error(`append of ${e.namespace}/${e.name} took over ${PRE_INSERT_BUDGET_MS} ms before its insert; not written`);
      }
    };
    await this.inserts.write(INSERT, [e.namespace, e.name, tb, eb, t, e.eventId, e.clear, e.delta, ttl], inTime);
    return ask || e.unique ? true : undefined;
  }
}
