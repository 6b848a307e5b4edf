import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLSchema } from 'graphql';
import gql from 'graphql-tag';

/**
 * A small consumer subgraph, as another team would write it: a catalog whose titles point
 * at counters of the counter subgraph ("this title's view count"). It only knows the keys:
 * `Counter` and `Namespace` are declared `resolvable: false` stubs, and the router asks the
 * counter subgraph for everything else (`count`, `mode`, ...).
 */
export const CATALOG_SDL = `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable"])

  type Title @key(fields: "id") {
    id: ID!
    title: String!
    "Views of this title: counter title:<id> of the views namespace."
    views: Counter!
    "The namespace the views live in."
    viewsNamespace: Namespace!
    "A counter in a namespace that does not exist (to see how errors travel)."
    broken: Counter
  }

  type Counter @key(fields: "namespace name", resolvable: false) {
    namespace: String!
    name: String!
  }

  type Namespace @key(fields: "name", resolvable: false) {
    name: String!
  }

  "Same shape as the counter subgraph's ItemError: composes because both are @shareable."
  type ItemError @shareable {
    code: String!
    message: String!
  }

  type Query {
    titles(first: Int!): [Title!]!
    title(id: ID!): Title
    lastImportErrors: [ItemError!]!
  }
`;

export interface CatalogOptions {
  /** Namespace of the views counters. */
  viewsNamespace: string;
}

export const titleId = (i: number): string => String(i + 1);
export const viewsCounterName = (id: string): string => `title:${id}`;

export function buildCatalogSchema({ viewsNamespace }: CatalogOptions): GraphQLSchema {
  const title = (id: string) => ({ id, title: `Title ${id}` });
  return buildSubgraphSchema({
    typeDefs: gql(CATALOG_SDL),
    resolvers: {
      Query: {
        titles: (_: unknown, { first }: { first: number }) => Array.from({ length: first }, (_x, i) => title(titleId(i))),
        title: (_: unknown, { id }: { id: string }) => title(id),
        lastImportErrors: () => [{ code: 'BAD_USER_INPUT', message: 'row 3: no title' }],
      },
      Title: {
        __resolveReference: (ref: { id: string }) => title(ref.id),
        views: (t: { id: string }) => ({ namespace: viewsNamespace, name: viewsCounterName(t.id) }),
        viewsNamespace: () => ({ name: viewsNamespace }),
        broken: (t: { id: string }) => ({ namespace: 'no-such-namespace', name: viewsCounterName(t.id) }),
      },
    },
  });
}
