/**
 * The minimal correct subgraph on Cassandra, the bar the service's Cassandra mode is judged
 * by (the GraphQL layer and Cassandra share the same cores): addCount makes one prepared
 * insert of an event row keyed by its token (a retry rewrites the same row), addCounts one
 * unlogged batch of the request's rows, and a counter read one single-partition select that
 * sums the counter's events. No roll-up, no pending marks, no `applied` for retries: what is
 * left when everything the service adds is taken away.
 */
import { randomUUID } from 'node:crypto';
import cassandra from 'cassandra-driver';

interface AddInput {
  namespace: string;
  name: string;
  delta: bigint;
  idempotencyToken?: { token: string; generationTime: Date } | null;
}

interface Ref {
  namespace: string;
  name: string;
}

const INSERT = 'INSERT INTO minimal_events (namespace, counter, time_us, event_id, delta) VALUES (?, ?, ?, ?, ?)';
const SELECT = 'SELECT sum(delta) AS count FROM minimal_events WHERE namespace = ? AND counter = ?';

/** Connects to the bench's keyspace (creating it and the table if needed); its resolvers and close. */
export async function cassandraBaseline(keyspace: string): Promise<{ resolvers: object; close: () => Promise<void> }> {
  const client = new cassandra.Client({
    contactPoints: (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042').split(','),
    localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1',
    encoding: { useBigIntAsLong: true },
  });
  await client.connect();
  await client.execute(
    `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = {'class': 'NetworkTopologyStrategy', '${process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1'}': 1}`,
  );
  await client.execute(
    `CREATE TABLE IF NOT EXISTS ${keyspace}.minimal_events (namespace text, counter text, time_us bigint, event_id text, delta bigint, PRIMARY KEY ((namespace, counter), time_us, event_id))`,
  );
  await client.execute(`USE ${keyspace}`);
  const opts = { prepare: true, isIdempotent: true, consistency: cassandra.types.consistencies.localQuorum };
  const row = (i: AddInput): unknown[] => {
    const t = i.idempotencyToken;
    return [i.namespace, i.name, BigInt((t ? t.generationTime.getTime() : Date.now()) * 1000), t ? t.token : randomUUID(), i.delta];
  };
  const counter = (r: Ref) => ({ namespace: r.namespace, name: r.name, mode: 'EVENTUAL' });
  const resolvers = {
    Counter: {
      count: async (c: Ref) => ((await client.execute(SELECT, [c.namespace, c.name], opts)).first()?.['count'] as bigint | null) ?? 0n,
    },
    Query: {
      counter: (_p: unknown, a: Ref) => counter(a),
      counters: (_p: unknown, a: { namespace: string; names: string[] }) => a.names.map((name) => counter({ namespace: a.namespace, name })),
      namespace: () => null,
      namespaces: () => [],
    },
    Mutation: {
      addCount: async (_p: unknown, a: { input: AddInput }) => {
        await client.execute(INSERT, row(a.input), opts);
        return { counter: counter(a.input), applied: true };
      },
      addCounts: async (_p: unknown, a: { inputs: AddInput[] }) => {
        await client.batch(a.inputs.map((i) => ({ query: INSERT, params: row(i) })), { ...opts, logged: false });
        return {
          items: a.inputs.map((i, index) => ({ index, counter: counter(i), applied: true, error: null })),
          acceptedCount: a.inputs.length,
          rejectedCount: 0,
        };
      },
    },
  };
  return { resolvers, close: () => client.shutdown() };
}
