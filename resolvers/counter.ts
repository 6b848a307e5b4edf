import type { CounterResolvers, NamespaceResolvers } from '../src/generated/graphql';
import type { CounterModel } from '../src/model';
import { checkName } from '../src/validate';

/** `Counter` and `Namespace`: fields that load, and the federation entry points. */
export const Counter: CounterResolvers = {
  // A counter whose count the operation already knows (addAndGetCount, subscriptions) skips
  // the read; every other one joins this operation's batched read.
  count: (c, _args, { loaders }) => c.count ?? loaders.count.load(c),
  // Many representations in one `_entities` call resolve here one by one, but their counts
  // all go through the same DataLoader: one batched read per namespace, not one per entity.
  __resolveReference: async (ref, { namespaces }) => {
    const ns = await namespaces.require(ref.namespace);
    return { namespace: ns.name, name: checkName('name', ref.name), mode: ns.mode };
  },
};

export const Namespace: NamespaceResolvers = {
  counter: (ns, { name }): CounterModel => ({ namespace: ns.name, name: checkName('name', name), mode: ns.mode }),
  counters: (ns, { names }): CounterModel[] =>
    names.map((name) => ({ namespace: ns.name, name: checkName('name', name), mode: ns.mode })),
  __resolveReference: async (ref, { namespaces }) => (await namespaces.find(ref.name)) ?? null,
};
