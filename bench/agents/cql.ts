/**
 * The cql task: the physical limit of the Cassandra node, raw cassandra-driver prepared
 * statements at a fixed concurrency: inserts of the service's event rows, or single-partition
 * selects of its roll-up rows (what a read of a quiet counter costs).
 */
import { performance } from 'node:perf_hooks';
import { Samples } from '../stats';
import { send, type CqlTask, type HttpResult } from './protocol';

/** A cql task with what the raw run does (inserts by default); the extra field travels with the task over IPC. */
export interface CqlRun extends CqlTask {
  op?: 'insert' | 'select';
}

const INSERT = 'INSERT INTO events (namespace, counter, time_bucket, event_bucket, time_us, event_id, clear, delta) VALUES (?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?';
const SELECT = 'SELECT count, checkpoint_us, last_write_us FROM rollups WHERE namespace = ? AND counter = ?';

/** Runs the statements at a fixed concurrency for warm-up + duration (the scenario drops the keyspace afterwards). */
export async function runCql(t: CqlRun): Promise<HttpResult> {
  const { Client, types } = await import('cassandra-driver');
  const client = new Client({ contactPoints: t.contactPoints, localDataCenter: t.localDataCenter, keyspace: t.keyspace });
  await client.connect();
  // The same rows the service writes: its partitioning as stored in the keyspace's settings.
  const settings = new Map((await client.execute('SELECT name, value FROM settings')).rows.map((r) => [String(r['name']), Number(r['value'])]));
  const secondsPerBucket = settings.get('secondsPerBucket') ?? 600;
  const bucketsPerId = settings.get('bucketsPerId') ?? 4;
  const opts = { prepare: true, isIdempotent: true, consistency: types.consistencies.localQuorum };
  const samples = new Samples();
  const start = performance.now();
  const measureFrom = start + t.warmupS * 1000;
  const end = measureFrom + t.durationS * 1000;
  let done = 0;
  let errors = 0;
  let seq = 0;
  const one = (): Promise<unknown> => {
    const counter = `c${Math.floor(Math.random() * t.counters)}`;
    if (t.op === 'select') return client.execute(SELECT, ['bench', counter], opts);
    const timeUs = Date.now() * 1000;
    const id = `raw${process.pid}.${seq++}`;
    const params = ['bench', counter, Math.floor(timeUs / (secondsPerBucket * 1e6)), seq % bucketsPerId, types.Long.fromNumber(timeUs), id, false, types.Long.ONE, 7 * 86400];
    return client.execute(INSERT, params, opts);
  };
  const timer = setInterval(() => send({ type: 'progress', elapsedS: (performance.now() - start) / 1000, done, rate: 0 }), 1000);
  await Promise.all(
    Array.from({ length: t.concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          await one();
        } catch {
          errors++;
        }
        const t1 = performance.now();
        if (t1 >= measureFrom && t1 <= end) {
          samples.add(t1 - t0);
          done++;
        }
      }
    }),
  );
  clearInterval(timer);
  await client.shutdown();
  return { type: 'http', requests: done, total: done, seconds: t.durationS, rps: done / t.durationS, latency: samples.summary(), non2xx: 0, errors, timeouts: 0 };
}
