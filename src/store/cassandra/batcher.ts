import type cassandra from 'cassandra-driver';
import type { Lane } from './limiter';
import type { CqlSession } from './session';

/** Statements per shared batch, and the estimated bytes they may carry (Cassandra fails batches past 50 KiB). */
const MAX_STATEMENTS = 64;
const MAX_BYTES = 16 * 1024;
/** Per-statement overhead in the estimate (keys, timestamps, framing). */
const STATEMENT_BYTES = 48;

interface Queued {
  query: string;
  params: unknown[];
  bytes: number;
  /** Run right before the statement's batch is sent; a throw drops the statement (its promise rejects). */
  check: (() => void) | undefined;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const estimate = (params: unknown[]): number => {
  let n = STATEMENT_BYTES;
  for (const p of params) n += typeof p === 'string' ? p.length : 8;
  return n;
};

/**
 * Group commit of writes into shared unlogged batches: every statement queued during one
 * turn of the event loop (the concurrent appends of many requests) is sent in as few
 * requests as the batch bounds allow, each through a limiter slot of its lane. A statement's
 * promise resolves once its batch is acknowledged at the write consistency, so awaiting it
 * means durable, exactly as for a single statement. An unlogged batch is not atomic across
 * partitions: callers order what must be durable first by awaiting it (./append.ts writes
 * the marks before the event), never by putting both in one batch.
 */
export class BatchWriter {
  private queue: Queued[] = [];
  private scheduled = false;

  constructor(
    private readonly cql: CqlSession,
    /** Options of every request (a bounded insert sets its timeout and retry policy here). */
    private readonly options: cassandra.QueryOptions = {},
    private readonly lane: Lane = 'urgent',
  ) {}

  write(query: string, params: unknown[], check?: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ query, params, bytes: estimate(params), check, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = this.queue;
    this.queue = [];
    let chunk: Queued[] = [];
    let bytes = 0;
    for (const q of all) {
      if (chunk.length > 0 && (chunk.length >= MAX_STATEMENTS || bytes + q.bytes > MAX_BYTES)) {
        void this.send(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(q);
      bytes += q.bytes;
    }
    if (chunk.length > 0) void this.send(chunk);
  }

  private async send(chunk: Queued[]): Promise<void> {
    let live: Queued[] = [];
    try {
      await this.cql.slot(async () => {
        for (const q of chunk) {
          try {
            q.check?.();
            live.push(q);
          } catch (err) {
            q.reject(err);
          }
        }
        if (live.length === 0) return;
        const opts = { prepare: true, isIdempotent: true, consistency: this.cql.writeConsistency, ...this.options };
        if (live.length === 1) await this.cql.client.execute(live[0]!.query, live[0]!.params, opts);
        else await this.cql.client.batch(live.map((q) => ({ query: q.query, params: q.params })), { ...opts, logged: false });
      }, this.lane);
    } catch (err) {
      for (const q of live) q.reject(err);
      live = [];
    }
    for (const q of live) q.resolve();
  }
}
