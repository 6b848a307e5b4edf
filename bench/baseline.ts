/**
 * The baseline the service is measured against: a bare Apollo Server 5 on node:http, with the
 * same schema (schema/counter.graphql, same scalars, built as a subgraph) and no-op resolvers
 * that answer at once. Its HTTP glue is the plain integration every Apollo framework adapter
 * does (headers -> HeaderMap, JSON.parse, executeHTTPGraphQLRequest), deliberately kept apart
 * from src/http so that optimising the service never speeds the baseline up too.
 *
 * Run as a child process: PORT=... node dist/bench/baseline.js; prints "listening <port>".
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import gql from 'graphql-tag';
import { loadTypeDefs } from '../resolvers';
import { DateTimeScalar, LongScalar } from '../src/scalars';

interface In {
  namespace: string;
  name: string;
}

const counter = (i: In) => ({ namespace: i.namespace, name: i.name, mode: 'EVENTUAL', count: 0n });

const resolvers = {
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
  const schema = buildSubgraphSchema({ typeDefs: gql(loadTypeDefs()), resolvers: resolvers as never });
  const apollo = new ApolloServer({ schema, plugins: [ApolloServerPluginLandingPageDisabled()] });
  await apollo.start();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = new HeaderMap();
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw.length > 0 ? JSON.parse(raw) : undefined;
      } catch {
        res.writeHead(400).end('bad json');
        return;
      }
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      apollo
        .executeHTTPGraphQLRequest({
          httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: q === -1 ? '' : url.slice(q), body },
          context: async () => ({}),
        })
        .then(async (r) => {
          res.statusCode = r.status ?? 200;
          for (const [k, v] of r.headers) res.setHeader(k, v);
          if (r.body.kind === 'complete') return void res.end(r.body.string);
          for await (const chunk of r.body.asyncIterator) res.write(chunk);
          res.end();
        })
        .catch((err: Error) => res.writeHead(500).end(err.message));
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
