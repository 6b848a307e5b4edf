import { storeConformance } from './conformance/store.conformance';
import { dropKeyspace, freshKeyspace, openCassandra } from './helpers/cassandra';

const keyspace = freshKeyspace();

// Small time buckets (60 s) and 3 event buckets, so the scatter reads cross many partitions.
storeConformance('cassandra', {
  open: () => openCassandra(keyspace, { CASSANDRA_SECONDS_PER_BUCKET: 60, CASSANDRA_BUCKETS_PER_ID: 3, CASSANDRA_PENDING_SHARDS: 4 }),
  cleanup: () => dropKeyspace(keyspace),
});
