import cassandra from 'cassandra-driver';
import type { CassandraStore } from '../../src/store/cassandra/cassandraStore';
import { cassandraOptions, dropKeyspace, freshKeyspace, openCassandra } from './helpers/cassandra';

/**
 * Cassandra-only: the marks of a counter's first append are written concurrently, so a
 * roll-up can read last_write_us before first_write_us exists. Such a read once scanned from
 * time bucket 0 to now (millions of partitions, one promise each) and ran the process out of
 * memory; it must stay bounded and still count every event.
 */
describe('cassandra store: a counter whose first-write mark is not there yet', () => {
  const keyspace = freshKeyspace();
  let store: CassandraStore;
  let client: cassandra.Client;
  beforeAll(async () => {
    store = await openCassandra(keyspace);
    const o = cassandraOptions(keyspace);
    client = new cassandra.Client({ contactPoints: o.contactPoints, localDataCenter: o.localDataCenter, keyspace });
    await store.createNamespace({ name: 'ns', mode: 'EVENTUAL', ttlSeconds: null, retentionSeconds: 3600, acceptLimitMs: 5000 });
  });
  afterAll(async () => {
    await client.shutdown();
    await store.close();
    await dropKeyspace(keyspace);
  });

  it('reads a bounded window and counts the events', async () => {
    const nowUs = Date.now() * 1000;
    await store.append([
      { namespace: 'ns', name: 'c', timeUs: nowUs, eventId: 'a', clear: false, delta: 5n },
      { namespace: 'ns', name: 'c', timeUs: nowUs + 1, eventId: 'b', clear: false, delta: 7n },
    ]);
    // Remove the first-write mark, as if its write had not landed yet. The mark is written
    // with a write timestamp near 2^53 (min-merge), so the delete needs a higher one.
    await client.execute(
      'DELETE first_write_us FROM rollups USING TIMESTAMP ? WHERE namespace = ? AND counter = ?',
      [cassandra.types.Long.fromString('9007199254740993'), 'ns', 'c'],
      { prepare: true },
    );
    const row = (await client.execute('SELECT first_write_us FROM rollups WHERE namespace = ? AND counter = ?', ['ns', 'c'], { prepare: true })).first();
    expect(row['first_write_us']).toBeNull();
    const heapBefore = process.memoryUsage().heapUsed;
    const [snap] = await store.readSnapshots({ refs: [{ namespace: 'ns', name: 'c' }], settleUs: nowUs - 10_000_000 });
    expect(snap!.tail.sum).toBe(12n);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(200 * 1024 * 1024);
  });
});
