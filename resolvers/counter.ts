import type { CounterResolvers, NamespaceResolvers } from './generated/graphql';
import { badInput, namespaceNotFound } from '../src/errors';
import { counterId, namespaceId } from '../src/ids';
import { counterOf, type CounterModel } from '../src/model';
import { checkName } from '../src/validate';
import { requireScope } from './access';

/**
 * `_entities` starts every representation's __resolveReference in one `map`; when a later
 * one fails at once (an unknown __typename) the earlier promises are dropped, and a rejected
 * one becomes an unhandled rejection, which ends a Node process. So a reference resolves to
 * its Error instead (graphql-js makes an Error value that entity's field error).
 */
const settled = <T>(work: () => Promise<T>): Promise<T> =>
  work().catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))) as never);

/** Representations are untyped (`_Any`): a key field must be checked to be a string at all. */
function keyField(typename: string, field: string, value: unknown): string {
  if (typeof value !== 'string') throw badInput(`a ${typename} representation needs its key field ${field} as a string`, { field });
  return value;
}

/** `Counter` and `Namespace`: fields that load, and the federation entry points. */
export const Counter: CounterResolvers = {
  id: (c) => counterId(c.namespace, c.name),
  // A counter whose count the operation already knows (addAndGetCount, subscriptions) skips
  // the read; every other one joins this operation's batched read.
  count: (c, _args, { loaders }) => c.count ?? loaders.count.load(c),
  // Many representations in one `_entities` call resolve here one by one, but their counts
  // all go through the same DataLoader: one batched read per namespace, not one per entity.
  // Namespaces go through a per-operation loader too: one lookup per namespace, not per entity.
  // Each representation is checked against its own namespace: a refused one is null with
  // FORBIDDEN at its index, the others resolve.
  __resolveReference: (ref, ctx) =>
    settled(async () => {
      const nsName = keyField('Counter', 'namespace', ref.namespace);
      const name = checkName('name', keyField('Counter', 'name', ref.name));
      requireScope(ctx, 'read', nsName);
      const ns = await ctx.loaders.namespace.load(nsName);
      if (!ns) throw namespaceNotFound(nsName);
      return counterOf(ns, name);
    }),
};

export const Namespace: NamespaceResolvers = {
  id: (ns) => namespaceId(ns.name),
  counter: (ns, { name }): CounterModel => counterOf(ns, checkName('name', name)),
  counters: (ns, { names }): CounterModel[] =>
    names.map((name) => counterOf(ns, checkName('name', name))),
  __resolveReference: (ref, ctx) =>
    settled(async () => {
      const name = keyField('Namespace', 'name', ref.name);
      requireScope(ctx, 'read', name);
      return ctx.loaders.namespace.load(name);
    }),
};
