import { dropKeyspace, freshKeyspace } from '../helpers/cassandra';

/**
 * The `integration-cassandra` project (jest.config.js): the store-agnostic suites again, their
 * in-process servers on the Cassandra node of `npm test` (a keyspace of their own) with the
 * caches and pub/sub in memory, as one instance without Redis runs. Set before the suite's
 * modules load: each test file has its own copy of process.env.
 */
const keyspace = freshKeyspace();
process.env.COUNTER_STORE = 'cassandra';
process.env.CASSANDRA_KEYSPACE = keyspace;
delete process.env.REDIS_URL;
delete process.env.REDIS_CLUSTER_NODES;

afterAll(() => dropKeyspace(keyspace));
