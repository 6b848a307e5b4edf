import { composeServices } from '@apollo/composition';
import { buildSchema, parse, printSchema } from 'graphql';
import gql from 'graphql-tag';
import { loadTypeDefs } from '../../../resolvers';
import { CATALOG_SDL } from './catalog';

/**
 * The counter subgraph composes with another team's subgraph into one supergraph, using the
 * same composition library as rover and the router's managed federation.
 */
const compose = (catalogSdl = CATALOG_SDL) =>
  composeServices([
    { name: 'counters', url: 'http://counters.local/graphql', typeDefs: gql(loadTypeDefs()) },
    { name: 'catalog', url: 'http://catalog.local/graphql', typeDefs: gql(catalogSdl) },
  ]);

describe('composition with a consumer subgraph (@apollo/composition)', () => {
  const result = compose();

  it('composes without errors', () => {
    expect(result.errors).toBeUndefined();
    expect(typeof result.supergraphSdl).toBe('string');
  });

  it('joins Counter and Namespace by their keys, resolvable only in the counter subgraph', () => {
    const sdl = result.supergraphSdl!;
    expect(sdl).toContain('@join__type(graph: COUNTERS, key: "namespace name")');
    expect(sdl).toContain('@join__type(graph: CATALOG, key: "namespace name", resolvable: false)');
    expect(sdl).toContain('@join__type(graph: COUNTERS, key: "name")');
    expect(sdl).toContain('@join__type(graph: CATALOG, key: "name", resolvable: false)');
  });

  it('gives the API schema a Title.views: Counter! with every Counter field', () => {
    const api = printSchema(buildSchema(printSchema(result.schema!.toAPISchema().toGraphQLJSSchema())));
    expect(api).toMatch(/views: Counter!/);
    const counterType = /type Counter \{([^}]*)\}/.exec(api)![1]!;
    for (const f of ['namespace: String!', 'name: String!', 'count: Long!', 'mode: CounterMode!']) expect(counterType).toContain(f);
    // The counter subgraph's root fields are all there, by their contract names.
    for (const f of ['counter(', 'counters(', 'namespace(', 'namespaces:', 'titles(']) expect(api).toContain(f);
    for (const f of ['addCount(', 'addCounts(', 'addAndGetCount(', 'clearCount(', 'createNamespace(']) expect(api).toContain(f);
    expect(api).toContain('counterUpdated(namespace: String!, name: String!): Counter!');
  });

  it('carries the demand-control hints (@cost/@listSize) into the supergraph', () => {
    const sdl = result.supergraphSdl!;
    expect(sdl).toMatch(/count: Long!.*@cost\(weight: 1\)/);
    expect(sdl).toMatch(/counters\(namespace: String!, names: \[String!\]!\): \[Counter!\]!.*@listSize\(assumedSize: 100/);
    expect(sdl).toMatch(/addCounts\(inputs: \[AddCountInput!\]!\): AddCountsPayload!.*@listSize\(assumedSize: 100, sizedFields: \["items"\]/);
  });

  it('needs ItemError to be @shareable: the same value type in another subgraph composes only so', () => {
    expect(result.supergraphSdl).toMatch(/type ItemError[^{]*@join__type\(graph: CATALOG\)[^{]*@join__type\(graph: COUNTERS\)/);
    const unshared = compose(CATALOG_SDL.replace('type ItemError @shareable', 'type ItemError'));
    expect(unshared.errors?.map((e) => e.extensions.code)).toContain('INVALID_FIELD_SHARING');
  });

  it('refuses a consumer that tries to resolve Counter.count itself (the counter subgraph owns it)', () => {
    const greedy = compose(
      CATALOG_SDL.replace(
        'type Counter @key(fields: "namespace name", resolvable: false) {',
        'scalar Long\n type Counter @key(fields: "namespace name") {\n count: Long!',
      ),
    );
    expect(greedy.errors?.map((e) => e.extensions.code)).toContain('INVALID_FIELD_SHARING');
  });

  it('keeps the schema file parseable by plain graphql-js tooling (apollo.config.js points at it)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const config = require('../../../apollo.config.js') as { service: { name: string; localSchemaFile: string; url?: string } };
    expect(config.service.name).toBe('counters');
    expect(config.service.localSchemaFile).toBe('./schema/counter.graphql');
    expect(() => parse(loadTypeDefs())).not.toThrow();
  });
});
