/**
 * What each shape of statement costs the local Cassandra node, in CPU per row: the facts a
 * layout of the Cassandra store has to be designed from (docs/benchmarks.md, "Cassandra: what
 * a row costs the node"). Raw driver statements at a fixed concurrency from this one process
 * into a scratch keyspace (dropped before and after), one shape after another, each started
 * on an idle node; the node's CPU from /proc (Linux, a node on this machine).
 * `node dist/bench/cassandraCosts.js`; CONCURRENCY (64), SECONDS (6), COUNTERS (100000) and
 * ONLY (a regular expression of shape names) in the environment.
 */
import cassandra from 'cassandra-driver';
import { cassandraCpuSeconds, waitForIdleCassandra } from './cassandraNode';

const CONCURRENCY = Number(process.env['CONCURRENCY'] ?? 64);
const SECONDS = Number(process.env['SECONDS'] ?? 6);
const COUNTERS = Number(process.env['COUNTERS'] ?? 100_000);
const ONLY = process.env['ONLY'] ? new RegExp(process.env['ONLY']) : undefined;
const KEYSPACE = 'bench_costs';
/** Statements per batch and rows per IN read: the grouping the store uses (./src/store/cassandra). */
const GROUP = 32;

const TABLES = [
  // The store's events layout: a partition per (counter, time bucket, event bucket).
  `CREATE TABLE ${KEYSPACE}.own (ns text, counter text, tb bigint, eb int, time_us bigint, event_id text, delta bigint, PRIMARY KEY ((ns, counter, tb, eb), time_us, event_id))`,
  // The proposed one: many counters' events in a partition per (time bucket, shard).
  `CREATE TABLE ${KEYSPACE}.shared (ns text, tb bigint, shard int, counter text, time_us bigint, event_id text, delta bigint, PRIMARY KEY ((ns, tb, shard), counter, time_us, event_id))`,
  // A checkpoint row per counter.
  `CREATE TABLE ${KEYSPACE}.roll (ns text, counter text, count bigint, checkpoint_us bigint, PRIMARY KEY ((ns, counter)))`,
];

interface Shape {
  /** Rows one call writes or reads. */
  rows: number;
  run: () => Promise<unknown>;
}

async function main(): Promise<void> {
  if (cassandraCpuSeconds() === undefined) throw new Error('no Cassandra node on this machine (scripts/services.sh start starts one)');
  const client = new cassandra.Client({ contactPoints: (process.env['CASSANDRA_CONTACT_POINTS'] ?? '127.0.0.1:9042').split(','), localDataCenter: 'datacenter1' });
  await client.connect();
  const opts = { prepare: true, isIdempotent: true, consistency: cassandra.types.consistencies.localOne };
  await client.execute(`DROP KEYSPACE IF EXISTS ${KEYSPACE}`);
  await client.execute(`CREATE KEYSPACE ${KEYSPACE} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
  for (const t of TABLES) await client.execute(t);
  let seq = 0;
  const counter = (): string => `c${Math.floor(Math.random() * COUNTERS)}`;
  const counters = (): string[] => Array.from({ length: GROUP }, counter);
  const nowUs = (): number => Date.now() * 1000 + (seq % 1000);
  const own = (): { query: string; params: unknown[] } => ({
    query: `INSERT INTO ${KEYSPACE}.own (ns, counter, tb, eb, time_us, event_id, delta) VALUES (?, ?, 1, ?, ?, ?, 1)`,
    params: ['b', counter(), seq % 4, nowUs(), `e${seq++}`],
  });
  const shared = (shards: number) => (): { query: string; params: unknown[] } => ({
    query: `INSERT INTO ${KEYSPACE}.shared (ns, tb, shard, counter, time_us, event_id, delta) VALUES (?, 1, ?, ?, ?, ?, 1)`,
    params: ['b', seq % shards, counter(), nowUs(), `e${seq++}`],
  });
  const checkpoint = (): { query: string; params: unknown[] } => ({
    query: `UPDATE ${KEYSPACE}.roll SET count = 5, checkpoint_us = ? WHERE ns = ? AND counter = ?`,
    params: [nowUs(), 'b', counter()],
  });
  const batch = (make: () => { query: string; params: unknown[] }): Shape => ({
    rows: GROUP,
    run: () => client.batch(Array.from({ length: GROUP }, make), { ...opts, logged: false }),
  });
  // Writes first: the reads after them find the rows they wrote.
  const shapes: Record<string, Shape> = {
    'insert, a partition of its own (minimal addCount)': { rows: 1, run: () => (({ query, params }) => client.execute(query, params, opts))(own()) },
    [`unlogged batch of ${GROUP}, partitions of their own (minimal addCounts)`]: batch(own),
    [`unlogged batch of ${GROUP} into 64 shared partitions`]: batch(shared(64)),
    [`unlogged batch of ${GROUP} into 8 shared partitions`]: batch(shared(8)),
    [`unlogged batch of ${GROUP} checkpoint updates`]: batch(checkpoint),
    'select of a row (a checkpoint)': { rows: 1, run: () => client.execute(`SELECT count, checkpoint_us FROM ${KEYSPACE}.roll WHERE ns = ? AND counter = ?`, ['b', counter()], opts) },
    [`select of ${GROUP} rows (counter IN ?)`]: {
      rows: GROUP,
      run: () => client.execute(`SELECT count, checkpoint_us FROM ${KEYSPACE}.roll WHERE ns = ? AND counter IN ?`, ['b', counters()], opts),
    },
    [`scan of ${GROUP} counters' own partitions (counter IN ?)`]: {
      rows: GROUP,
      run: () => client.execute(`SELECT counter, time_us, delta FROM ${KEYSPACE}.own WHERE ns = ? AND counter IN ? AND tb = 1 AND eb = ? AND time_us > 0`, ['b', counters(), seq++ % 4], opts),
    },
    [`scan of ${GROUP} counters in one shared partition (counter IN ? AND time_us > ?)`]: {
      rows: GROUP,
      run: () => client.execute(`SELECT counter, time_us, delta FROM ${KEYSPACE}.shared WHERE ns = ? AND tb = 1 AND shard = ? AND counter IN ? AND time_us > 0`, ['b', seq++ % 64, counters()], opts),
    },
  };
  console.log(`concurrency ${CONCURRENCY}, ${SECONDS} s per shape, ${COUNTERS} counters; the node's CPU per row, from its start until it is idle again`);
  try {
    for (const [name, shape] of Object.entries(shapes)) {
      if (ONLY && !ONLY.test(name)) continue;
      const { idleShare } = await waitForIdleCassandra();
      const cpu0 = cassandraCpuSeconds()!;
      const t0 = Date.now();
      const end = t0 + SECONDS * 1000;
      let rows = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (Date.now() < end) {
            await shape.run();
            rows += shape.rows;
          }
        }),
      );
      const seconds = (Date.now() - t0) / 1000;
      await waitForIdleCassandra();
      // less what the node spends idle (its own housekeeping) over the same time
      const cpu = Math.max(0, cassandraCpuSeconds()! - cpu0 - (idleShare * (Date.now() - t0)) / 1000);
      console.log(`${name.padEnd(78)} ${Math.round(rows / seconds).toLocaleString('en-US').padStart(8)} rows/s  ${((cpu * 1e6) / rows).toFixed(1).padStart(6)} µs node CPU/row`);
    }
  } finally {
    await client.execute(`DROP KEYSPACE IF EXISTS ${KEYSPACE}`).catch(() => {});
    await client.shutdown();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
