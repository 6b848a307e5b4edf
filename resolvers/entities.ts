import { isUnionType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { badInput, clip } from '../src/errors';

/**
 * `_entities` with one bad representation (not an object, no `__typename`, a type that is
 * not an entity of this subgraph) throws from @apollo/subgraph's resolver for the whole
 * list, and the list is non-null: the whole `data` became null with an internal error.
 * Each bad representation gets its own BAD_USER_INPUT error at its index instead (graphql-js
 * makes an Error value in a list that item's field error), and the others resolve.
 */
export function guardEntities(schema: GraphQLSchema): void {
  const field = schema.getQueryType()?.getFields()._entities;
  const union = schema.getType('_Entity');
  if (!field?.resolve || !isUnionType(union)) return;
  const entities = new Set(union.getTypes().map((t) => t.name));
  const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve;
  field.resolve = (source, args: { representations?: unknown }, context, info) => {
    const reps = args.representations;
    if (!Array.isArray(reps)) return resolve(source, args, context, info);
    const refusals = reps.map((r) => refusal(r, entities));
    if (refusals.every((r) => r === undefined)) return resolve(source, args, context, info);
    const resolved = resolve(source, { ...args, representations: reps.filter((_, i) => !refusals[i]) }, context, info) as unknown[];
    let next = 0;
    return reps.map((_, i) => refusals[i] ?? resolved[next++]);
  };
}

function refusal(rep: unknown, entities: ReadonlySet<string>): Error | undefined {
  if (typeof rep !== 'object' || rep === null || Array.isArray(rep)) return badInput('a representation must be an object with a __typename');
  const typename = (rep as { __typename?: unknown }).__typename;
  if (typeof typename !== 'string') return badInput('a representation needs its __typename as a string');
  if (!entities.has(typename)) {
    return badInput(`${JSON.stringify(clip(typename))} is not an entity type of this subgraph (${[...entities].join(', ')})`, { typename: clip(typename) });
  }
  return undefined;
}
