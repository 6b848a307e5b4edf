/**
 * The HTTP glue of the bench's baselines: a bare Apollo Server 5 on node:http with the
 * service's schema (schema/counter.graphql, same scalars, built as a subgraph) and the
 * resolvers given. The glue is the plain integration every Apollo framework adapter does
 * (headers -> HeaderMap, JSON.parse, executeHTTPGraphQLRequest), deliberately kept apart from
 * src/http so that optimising the service never speeds a baseline up too.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import gql from 'graphql-tag';
import { loadTypeDefs } from '../resolvers';

/** Serves the resolvers on PORT (127.0.0.1), prints "listening <port>"; on SIGTERM closes, runs onClose, exits 0. */
export async function serveBaseline(resolvers: object, onClose: () => Promise<void> = async () => {}): Promise<void> {
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
  process.on('SIGTERM', () => server.close(() => void onClose().finally(() => process.exit(0))));
}
