/**
 * The baselines the service is measured against, bare Apollo Servers 5 (bench/baselineServer.ts)
 * with the service's schema:
 *  - by default, no-op resolvers that answer at once (the cost of the GraphQL layer alone);
 *  - with BENCH_BASELINE_CASSANDRA_KEYSPACE set, the minimal correct subgraph on Cassandra
 *    (bench/baselineCassandra.ts): one prepared insert per add, one select per read.
 *
 * Run as a child process: PORT=... node dist/bench/baseline.js; prints "listening <port>".
 */
import { DateTimeScalar, LongScalar } from '../src/scalars';
import { cassandraBaseline } from './baselineCassandra';
import { serveBaseline } from './baselineServer';

interface In {
  namespace: string;
  name: string;
}

const counter = (i: In) => ({ namespace: i.namespace, name: i.name, mode: 'EVENTUAL', count: 0n });

const noopResolvers = {
  Long: LongScalar,
  DateTime: DateTimeScalar,
  Query: {
    counter: (_p: unknown, a: In) => counter(a),
    counters: (_p: unknown, a: { namespace: string; names: string[] }) => a.names.map((name) => counter({ namespace: a.namespace, name })),
    namespace: () => null,
    namespaces: () => [],
  },
  Mutation: {
    addCount: (_p: unknown, a: { input: In }) => ({ counter: counter(a.input), applied: true }),
    addCounts: (_p: unknown, a: { inputs: In[] }) => ({
      items: a.inputs.map((i, index) => ({ index, counter: counter(i), applied: true, error: null })),
      acceptedCount: a.inputs.length,
      rejectedCount: 0,
    }),
    addAndGetCount: (_p: unknown, a: { input: In }) => counter(a.input),
    clearCount: (_p: unknown, a: { input: In }) => counter(a.input),
  },
};

async function main(): Promise<void> {
  const keyspace = process.env.BENCH_BASELINE_CASSANDRA_KEYSPACE;
  if (!keyspace) return serveBaseline(noopResolvers);
  const { resolvers, close } = await cassandraBaseline(keyspace);
  return serveBaseline({ Long: LongScalar, DateTime: DateTimeScalar, ...resolvers }, close);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
