import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLSchema } from 'graphql';
import gql from 'graphql-tag';
import type { Resolvers } from './generated/graphql';
import { DateTimeScalar, LongScalar } from '../src/scalars';
import { Counter, Namespace } from './counter';
import { guardEntities } from './entities';
import { AddCountPayload, AddCountsItem, AddCountsPayload, Mutation } from './mutation';
import { Query } from './query';
import { Subscription } from './subscription';

// resolvers/ from sources (tests), dist/resolvers/ when built: the schema sits at the top.
export const SCHEMA_DIR = [path.resolve(__dirname, '..', 'schema'), path.resolve(__dirname, '..', '..', 'schema')].find(
  (d) => existsSync(path.join(d, 'counter.graphql')),
)!;

/** The SDL of schema/*.graphql, the single source of truth. */
export function loadTypeDefs(dir = SCHEMA_DIR): string {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(path.join(dir, f), 'utf8'))
    .join('\n');
}

export const resolvers: Resolvers = {
  Long: LongScalar,
  DateTime: DateTimeScalar,
  Query,
  Mutation,
  AddCountPayload,
  AddCountsItem,
  AddCountsPayload,
  Subscription,
  Counter,
  Namespace,
};

export function buildSchema(): GraphQLSchema {
  // The generated Resolvers type is stricter than @apollo/subgraph's resolver map type.
  const schema = buildSubgraphSchema({ typeDefs: gql(loadTypeDefs()), resolvers: resolvers as never });
  guardEntities(schema);
  return schema;
}
