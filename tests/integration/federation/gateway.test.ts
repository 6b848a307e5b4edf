import { composeServices } from '@apollo/composition';
import { ApolloGateway, LocalGraphQLDataSource, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import gql from 'graphql-tag';
import { loadTypeDefs } from '../../../resolvers';
import { createNamespace, startServer, type TestServer } from '../helpers/server';
import { buildCatalogSchema, CATALOG_SDL, titleId, viewsCounterName } from './catalog';
import { requestReads } from './util';

/**
 * A gateway composed from the counter subgraph (the real service on loopback HTTP) and a
 * consumer subgraph (in process) runs queries that cross both, as a router would.
 */
const N = 100;

type Title = { id: string; views: { namespace: string; name: string; count: string; mode: string } };

describe('a gateway over the counter subgraph and a catalog subgraph (@apollo/gateway)', () => {
  let s: TestServer;
  let gateway: ApolloServer;
  const expected = (i: number): string => String((i + 1) * 1000 + 7);

  beforeAll(async () => {
    // No periodic sweep in this file, so the store-call metrics move only with our reads.
    s = await startServer({ ROLLUP_SWEEP_INTERVAL_MS: 600_000 });
    await createNamespace(s, 'views', 'ACCURATE');
    await createNamespace(s, 'plays', 'EVENTUAL');
    const inputs = Array.from({ length: N }, (_, i) => ({ namespace: 'views', name: viewsCounterName(titleId(i)), delta: expected(i) }));
    const w = await s.gql<{ addCounts: { acceptedCount: number } }>(
      'mutation ($inputs: [AddCountInput!]!) { addCounts(inputs: $inputs) { acceptedCount } }',
      { inputs },
    );
    expect(w.data!.addCounts.acceptedCount).toBe(N);

    const { supergraphSdl, errors } = composeServices([
      { name: 'counters', url: s.url, typeDefs: gql(loadTypeDefs()) },
      { name: 'catalog', url: 'http://catalog.invalid/graphql', typeDefs: gql(CATALOG_SDL) },
    ]);
    expect(errors).toBeUndefined();
    const catalog = buildCatalogSchema({ viewsNamespace: 'views' });
    gateway = new ApolloServer({
      gateway: new ApolloGateway({
        supergraphSdl: supergraphSdl!,
        buildService: ({ name, url }) => (name === 'catalog' ? new LocalGraphQLDataSource(catalog) : new RemoteGraphQLDataSource({ url })),
      }),
    });
    await gateway.start();
  });
  afterAll(async () => {
    await gateway?.stop();
    await s?.stop();
  });

  const run = async <T>(query: string, variables?: Record<string, unknown>) => {
    const res = await gateway.executeOperation<T>({ query, variables });
    if (res.body.kind !== 'single') throw new Error('expected a single result');
    return res.body.singleResult;
  };

  it('resolves a title’s view counter across both subgraphs with the exact count', async () => {
    const r = await run<{ title: Title & { title: string } }>('{ title(id: "7") { id title views { namespace name count mode } } }');
    expect(r.errors).toBeUndefined();
    expect(r.data!.title).toEqual({
      id: '7',
      title: 'Title 7',
      views: { namespace: 'views', name: 'title:7', count: expected(6), mode: 'ACCURATE' },
    });
  });

  it(`reads ${N} counters for ${N} titles in a bounded number of store reads, with exact counts`, async () => {
    const { result: r, reads } = await requestReads(s.url, () => run<{ titles: Title[] }>(`{ titles(first: ${N}) { id views { name count } } }`));
    expect(r.errors).toBeUndefined();
    expect(r.data!.titles).toHaveLength(N);
    r.data!.titles.forEach((t, i) => expect(t).toEqual({ id: titleId(i), views: { name: `title:${titleId(i)}`, count: expected(i) } }));
    // ACCURATE: the one _entities request of the plan reads all 100 snapshots in one call.
    expect([reads.readSnapshots, reads.convergedCacheGet, reads.cacheGet]).toEqual([1, 0, 0]);
  });

  it('batches an EVENTUAL namespace the same way (roll-up cache, then one snapshot read for the misses)', async () => {
    const catalog = buildCatalogSchema({ viewsNamespace: 'plays' });
    const { supergraphSdl } = composeServices([
      { name: 'counters', url: s.url, typeDefs: gql(loadTypeDefs()) },
      { name: 'catalog', url: 'http://catalog.invalid/graphql', typeDefs: gql(CATALOG_SDL) },
    ]);
    const gw = new ApolloServer({
      gateway: new ApolloGateway({
        supergraphSdl: supergraphSdl!,
        buildService: ({ name, url }) => (name === 'catalog' ? new LocalGraphQLDataSource(catalog) : new RemoteGraphQLDataSource({ url })),
      }),
    });
    await gw.start();
    try {
      const inputs = Array.from({ length: N }, (_, i) => ({ namespace: 'plays', name: viewsCounterName(titleId(i)), delta: i + 1 }));
      const w = await s.gql<{ addCounts: { acceptedCount: number } }>(
        'mutation ($inputs: [AddCountInput!]!) { addCounts(inputs: $inputs) { acceptedCount } }',
        { inputs },
      );
      expect(w.data!.addCounts.acceptedCount).toBe(N);
      const { result: res, reads } = await requestReads(s.url, () =>
        gw.executeOperation<{ titles: { views: { count: string } }[] }>({ query: `{ titles(first: ${N}) { views { count } } }` }),
      );
      if (res.body.kind !== 'single') throw new Error('expected a single result');
      expect(res.body.singleResult.errors).toBeUndefined();
      // The roll-up has converged (quiet), so the counts are exact.
      expect(res.body.singleResult.data!.titles.map((t) => t.views.count)).toEqual(inputs.map((i) => String(i.delta)));
      // One roll-up cache read for all 100; a snapshot read only for the ones it missed.
      expect(reads.convergedCacheGet).toBe(1);
      expect(reads.readSnapshots).toBeLessThanOrEqual(1);
      expect(reads.cacheGet).toBe(0);
    } finally {
      await gw.stop();
    }
  });

  it('reaches a Namespace entity through the catalog and nests counters under it', async () => {
    const r = await run<{ title: { viewsNamespace: { name: string; mode: string; counter: { count: string }; counters: { name: string; count: string }[] } } }>(
      '{ title(id: "3") { viewsNamespace { name mode counter(name: "title:3") { count } counters(names: ["title:1", "title:2"]) { name count } } } }',
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.title.viewsNamespace).toEqual({
      name: 'views',
      mode: 'ACCURATE',
      counter: { count: expected(2) },
      counters: [
        { name: 'title:1', count: expected(0) },
        { name: 'title:2', count: expected(1) },
      ],
    });
  });

  it('passes a per-entity NAMESPACE_NOT_FOUND through the gateway, at that title only', async () => {
    const r = await run<{ titles: { id: string; broken: { count: string } | null; views: { count: string } }[] }>(
      '{ titles(first: 2) { id broken { count } views { count } } }',
    );
    expect(r.data!.titles).toEqual([
      { id: '1', broken: null, views: { count: expected(0) } },
      { id: '2', broken: null, views: { count: expected(1) } },
    ]);
    expect(r.errors?.length).toBeGreaterThanOrEqual(1);
    expect(r.errors!.every((e) => e.extensions?.code === 'NAMESPACE_NOT_FOUND')).toBe(true);
    expect(r.errors!.map((e) => e.path)).toEqual(expect.arrayContaining([['titles', 0, 'broken']]));
  });

  it('serves the counter subgraph’s own root fields through the gateway as well', async () => {
    const r = await run<{ counters: { name: string; count: string }[] }>(
      '{ counters(namespace: "views", names: ["title:100", "title:1", "never"]) { name count } }',
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.counters).toEqual([
      { name: 'title:100', count: expected(99) },
      { name: 'title:1', count: expected(0) },
      { name: 'never', count: '0' },
    ]);
  });
});
