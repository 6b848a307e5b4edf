import cassandra from 'cassandra-driver';
import { cassandraRequests } from '../../src/metrics';
import type { CounterEvent } from '../../src/model';
import type { CassandraStore } from '../../src/store/cassandra/cassandraStore';
import { LIST_PER_SWEEP } from '../../src/store/cassandra/checkpoints';
import { eventBucket, partitionId, timeBucket } from '../../src/store/cassandra/layout';
import { cassandraOptions, dropKeyspace, freshKeyspace, openCassandra } from './helpers/cassandra';

/**
 * Cassandra-only mechanisms behind the store contract: `rollups.partitions` (a scan reads
 * only the events partitions written since the checkpoint), the marks written per counter and
 * partition and group-committed in shared batches (still complete for a process that knows
 * nothing of them, as after a crash), listPending confirming only the marks this process
 * knows nothing about, and `applied` answered from the event row itself, read only for an
 * event whose writer asks (none for an `unasked` one, nor for one made without a client's
 * token, which no retry can repeat).
 */
describe('cassandra store: partitions, batched marks, pending confirmation, applied lookups', () => {
  const keyspace = freshKeyspace();
  const S = 1_000_000;
  // On a 60 s time bucket's start (the store below is opened with 60 s buckets): the events of
  // one test (at most 30 s apart) share their time bucket, whatever the wall clock.
  const T0 = Math.floor(Date.now() / 60_000) * 60 * S - 600 * S;
  let store: CassandraStore;
  let client: cassandra.Client;
  let seq = 0;
  const ns = 'ns';
  beforeAll(async () => {
    store = await openCassandra(keyspace, { CASSANDRA_SECONDS_PER_BUCKET: 60, CASSANDRA_BUCKETS_PER_ID: 4, CASSANDRA_PENDING_SHARDS: 4 });
    const o = cassandraOptions(keyspace);
    client = new cassandra.Client({ contactPoints: o.contactPoints, localDataCenter: o.localDataCenter, keyspace, encoding: { useBigIntAsLong: true } });
    await store.createNamespace({ name: ns, mode: 'EVENTUAL', ttlSeconds: null, retentionSeconds: 86400, acceptLimitMs: 5000 });
  });
  afterAll(async () => {
    await client.shutdown();
    await store.close();
    await dropKeyspace(keyspace);
  });

  /** An event id of the wanted event bucket. */
  const idIn = (eb: number): string => {
    for (;;) {
      const id = `e${seq++}`;
      if (eventBucket(store.settings, id) === eb) return id;
    }
  };
  const add = (name: string, timeUs: number, eb: number, delta = 1n): CounterEvent => ({ namespace: ns, name, timeUs, eventId: idIn(eb), clear: false, delta });
  const requests = async (statement: string): Promise<number> =>
    (await cassandraRequests.get()).values.filter((v) => v.labels['statement'] === statement).reduce((n, v) => n + v.value, 0);
  const counted = async <T>(statement: string, fn: () => Promise<T>): Promise<{ result: T; n: number }> => {
    const before = await requests(statement);
    const result = await fn();
    return { result, n: (await requests(statement)) - before };
  };
  const partitions = async (name: string): Promise<number[]> =>
    (((await client.execute('SELECT partitions FROM rollups WHERE namespace = ? AND counter = ?', [ns, name], { prepare: true })).first()?.['partitions'] as bigint[] | null) ?? [])
      .map(Number)
      .sort((a, b) => a - b);
  const pid = (timeUs: number, eb: number): number => partitionId(store.settings, timeBucket(store.settings, timeUs), eb);

  it('scans only the partitions written since the checkpoint', async () => {
    const [a, b] = [T0 + S, T0 + 2 * S];
    await store.append([add('scan', a, 1, 2n)]);
    let { result, n } = await counted('events scan', () => store.readSnapshots({ refs: [{ namespace: ns, name: 'scan' }], settleUs: T0 }));
    expect(result[0]!.tail.sum).toBe(2n);
    expect(n).toBe(1);
    await store.append([add('scan', b, 3, 5n)]);
    expect(await partitions('scan')).toEqual([pid(a, 1), pid(b, 3)].sort((x, y) => x - y));
    ({ result, n } = await counted('events scan', () => store.readSnapshots({ refs: [{ namespace: ns, name: 'scan' }], settleUs: T0 })));
    expect(result[0]!.tail.sum).toBe(7n);
    expect(n).toBe(2);
    // a checkpoint that absorbs both removes both; a quiet counter then costs no scan
    await store.writeCheckpoints([{ ref: { namespace: ns, name: 'scan' }, count: 7n, checkpointUs: b }]);
    expect(await partitions('scan')).toEqual([]);
    ({ result, n } = await counted('events scan', () => store.readSnapshots({ refs: [{ namespace: ns, name: 'scan' }], settleUs: b })));
    expect(result[0]!.checkpoint.count).toBe(7n);
    expect(n).toBe(0);
  });

  it('keeps a partition written after the checkpoint, even when the checkpoint removes it late', async () => {
    const name = 'late';
    await store.append([add(name, T0 + S, 0)]);
    await store.readSnapshots({ refs: [{ namespace: ns, name }], settleUs: T0 + 2 * S });
    // another write to the same partition lands after this roll-up read its row
    await store.append([add(name, T0 + 3 * S, 0, 4n)]);
    await store.writeCheckpoints([{ ref: { namespace: ns, name }, count: 1n, checkpointUs: T0 + 2 * S }]);
    expect(await partitions(name)).toEqual([pid(T0 + S, 0)]);
    const [s] = await store.readSnapshots({ refs: [{ namespace: ns, name }], settleUs: T0 + 2 * S });
    expect(s!.checkpoint.count + s!.tail.sum).toBe(5n);
  });

  it('marks every partition of concurrent appends, an older event of a new partition too, durable for a fresh process', async () => {
    const name = 'marks';
    // newest first: the older events go to other partitions and need their own marks
    const events = [add(name, T0 + 10 * S, 0), add(name, T0 + 9 * S, 1), add(name, T0 + 8 * S, 2), ...Array.from({ length: 20 }, (_, i) => add(name, T0 + 5 * S + i, i % 4))];
    await Promise.all(events.map((e) => store.append([e])));
    // a fresh process (after a crash: no mark state, nothing known) finds the counter and every event
    const other = await openCassandra(keyspace);
    try {
      expect(await other.listPending({ namespace: ns, upToUs: Number.MAX_SAFE_INTEGER, limit: 100 })).toContainEqual({ namespace: ns, name });
      const [s] = await other.readSnapshots({ refs: [{ namespace: ns, name }], settleUs: T0 });
      expect(s!.tail.sum).toBe(BigInt(events.length));
      expect(s!.checkpoint.lastWriteUs).toBe(T0 + 10 * S);
      expect(await partitions(name)).toEqual([...new Set(events.map((e) => pid(e.timeUs, eventBucket(store.settings, e.eventId))))].sort((a, b) => a - b));
    } finally {
      await other.close();
    }
  });

  it('reads many counters in few grouped queries, each from its own checkpoint', async () => {
    const names = Array.from({ length: 32 }, (_, i) => `many${i}`);
    // 1 s into a time bucket: the new counters' scans start at the bucket's start, close enough to group with the others
    const bucketUs = store.settings.secondsPerBucket * S;
    const t = (timeBucket(store.settings, T0) + 2) * bucketUs + S;
    // every counter: an event at t in event bucket i % 4; the even ones a second one at t + 1 ms
    await store.append(names.map((name, i) => add(name, t, i % 4, 1n)));
    await store.append(names.filter((_, i) => i % 2 === 0).map((name, i) => add(name, t + 1000, (i * 2) % 4, 10n)));
    // the even ones checkpointed at t: their first event is folded in and must not be read again,
    // though the odd ones, scanned in the same grouped queries, read the partition from before t
    await store.writeCheckpoints(names.filter((_, i) => i % 2 === 0).map((name) => ({ ref: { namespace: ns, name }, count: 1n, checkpointUs: t })));
    const refs = names.map((name) => ({ namespace: ns, name }));
    const rows = await requests('rollup row read');
    const { result, n } = await counted('events scan', () => store.readSnapshots({ refs, settleUs: T0 }));
    expect((await requests('rollup row read')) - rows).toBe(1); // up to 32 rows per read
    expect(n).toBe(4); // one per event bucket (each counter's partitions of time bucket t), of 8 counters each
    result.forEach((s, i) => {
      if (i % 2 === 0) expect([s.checkpoint.count, s.tail.sum, s.tail.events]).toEqual([1n, 10n, 1]);
      else expect([s.checkpoint.count, s.tail.sum, s.tail.events]).toEqual([0n, 1n, 1]);
    });
  });

  it('scans a pending row without partitions (written before they existed) whole', async () => {
    const name = 'legacy';
    await store.append([add(name, T0 + S, 0), add(name, T0 + S + 1, 3)]);
    await client.execute('DELETE partitions FROM rollups USING TIMESTAMP ? WHERE namespace = ? AND counter = ?', [BigInt(T0 + 2 * S), ns, name], { prepare: true });
    // such rows carry the first-write mark earlier versions wrote (min-merged: USING TIMESTAMP 2^53 - time)
    await client.execute('UPDATE rollups USING TIMESTAMP ? SET first_write_us = ? WHERE namespace = ? AND counter = ?', [BigInt(Number.MAX_SAFE_INTEGER - T0 - S), BigInt(T0 + S), ns, name], {
      prepare: true,
    });
    expect(await partitions(name)).toEqual([]);
    const { result, n } = await counted('events scan', () => store.readSnapshots({ refs: [{ namespace: ns, name }], settleUs: T0 }));
    expect(result[0]!.tail.sum).toBe(2n);
    expect(n).toBe(4);
  });

  it('confirms only the pending marks this process knows nothing about', async () => {
    const pns = 'pns';
    await store.createNamespace({ name: pns, mode: 'EVENTUAL', ttlSeconds: null, retentionSeconds: 86400, acceptLimitMs: 5000 });
    const refs = ['k0', 'k1', 'k2'].map((name) => ({ namespace: pns, name }));
    await store.append(refs.map((r, i) => ({ ...r, timeUs: T0 + (i + 1) * S, eventId: `p${i}`, clear: false, delta: 1n })));
    const all = { namespace: pns, upToUs: Number.MAX_SAFE_INTEGER, limit: 100 };
    const other = await openCassandra(keyspace);
    try {
      // nothing known: the candidates are confirmed by one grouped read of their roll-up rows
      let { result, n } = await counted('rollup row read', () => other.listPending(all));
      expect(result).toEqual(refs);
      expect(n).toBe(1);
      // known now: listed without reads
      ({ result, n } = await counted('rollup row read', () => other.listPending(all)));
      expect(result).toEqual(refs);
      expect(n).toBe(0);
      // one bounded query per shard
      ({ result, n } = await counted('pending list', () => other.listPending(all)));
      expect(result).toEqual(refs);
      expect(n).toBe(store.settings.pendingShards);
      // k0 caught up by `store`, whose pending delete is lost (a crash between the two):
      // `other` lists it once more (it knows nothing newer), its roll-up read learns the
      // checkpoint, and the next listing deletes the stale mark without a read
      await client.execute('UPDATE rollups USING TIMESTAMP ? SET count = ?, checkpoint_us = ? WHERE namespace = ? AND counter = ?', [BigInt(T0 + S), 1n, BigInt(T0 + S), pns, 'k0'], {
        prepare: true,
      });
      expect(await other.listPending(all)).toEqual(refs);
      await other.readSnapshots({ refs: [refs[0]!], settleUs: T0 + 5 * S });
      ({ result, n } = await counted('rollup row read', () => other.listPending(all)));
      expect(result).toEqual(refs.slice(1));
      expect(n).toBe(0);
      expect(await store.listPending(all)).toEqual(refs.slice(1));
    } finally {
      await other.close();
    }
  });

  it('lists more marks than one listing reads over the next listings, each shard on from where it stopped', async () => {
    const pns = 'pmany';
    await store.createNamespace({ name: pns, mode: 'EVENTUAL', ttlSeconds: null, retentionSeconds: 86400, acceptLimitMs: 5000 });
    const refs = Array.from({ length: LIST_PER_SWEEP + 300 }, (_, i) => ({ namespace: pns, name: `m${i}` }));
    await store.append(refs.map((r, i) => ({ ...r, timeUs: T0 + S, eventId: `m${i}`, clear: false, delta: 1n, unique: true })));
    const all = { namespace: pns, upToUs: Number.MAX_SAFE_INTEGER, limit: 100_000 };
    const first = await store.listPending(all);
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThanOrEqual(LIST_PER_SWEEP);
    const { result: second, n } = await counted('pending list', () => store.listPending(all));
    expect(n).toBe(store.settings.pendingShards);
    expect(new Set([...first, ...second].map((r) => r.name)).size).toBe(refs.length);
  });

  it('answers applied from the event rows in grouped lookups, and a retry found is not written again', async () => {
    const name = 'bulk';
    const events = Array.from({ length: 200 }, (_, i) => add(`${name}${i % 50}`, T0 + 20 * S, i % 4));
    const { result, n } = await counted('applied lookup', () => store.append(events));
    expect(result.every((r) => r.applied === true)).toBe(true);
    // 50 events in each of the 4 event buckets of one time bucket: up to 16 per lookup
    expect(n).toBe(4 * Math.ceil(50 / 16));
    const retried = await counted('append insert', () => store.append(events));
    expect(retried.result.every((r) => r.applied === false)).toBe(true);
    expect(retried.n).toBe(0);
    // seen from another process too
    const other = await openCassandra(keyspace);
    try {
      expect(await other.append(events.slice(0, 3))).toEqual([{ applied: false }, { applied: false }, { applied: false }]);
    } finally {
      await other.close();
    }
    const snaps = await store.readSnapshots({ refs: Array.from({ length: 50 }, (_, i) => ({ namespace: ns, name: `${name}${i}` })), settleUs: T0 });
    expect(snaps.reduce((sum, s) => sum + s.tail.sum, 0n)).toBe(200n);
  });

  it('writes an unasked event without a read (applied unknown); a retry that asks finds it, and the count holds it once', async () => {
    const name = 'unasked';
    const events = Array.from({ length: 20 }, (_, i): CounterEvent => ({ ...add(name, T0 + 30 * S + i, i % 4, 3n), unasked: true }));
    const { result, n } = await counted('applied lookup', () => store.append(events));
    expect(result.every((r) => r.applied === undefined)).toBe(true);
    expect(n).toBe(0);
    // an unasked retry rewrites the same rows (no read): still counted once
    expect((await store.append(events)).every((r) => r.applied === undefined)).toBe(true);
    const asked = events.map(({ unasked: _, ...e }) => e);
    expect((await store.append(asked)).every((r) => r.applied === false)).toBe(true);
    const [s] = await store.readSnapshots({ refs: [{ namespace: ns, name }], settleUs: T0 });
    expect(s!.tail.sum).toBe(60n);
  });

  it('writes an event made here (no client token) without a read, and counts it', async () => {
    const name = 'tokenless';
    const events = Array.from({ length: 20 }, (_, i): CounterEvent => ({ ...add(name, T0 + 40 * S + i, i % 4, 2n), unique: true }));
    const { result, n } = await counted('applied lookup', () => store.append(events));
    expect(result.every((r) => r.applied === true)).toBe(true);
    expect(n).toBe(0);
    const [s] = await store.readSnapshots({ refs: [{ namespace: ns, name }], settleUs: T0 });
    expect(s!.tail.sum).toBe(40n);
  });
});
