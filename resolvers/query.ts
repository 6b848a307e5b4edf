import type { QueryResolvers } from './generated/graphql';
import { counterOf, type CounterModel } from '../src/model';
import { checkName } from '../src/validate';

export const Query: QueryResolvers = {
  // GetCount: the Counter carries no count yet; Counter.count loads it through the batch.
  counter: async (_p, { namespace, name }, { namespaces }): Promise<CounterModel> => {
    const ns = await namespaces.require(namespace);
    return counterOf(ns, checkName('name', name));
  },
  counters: async (_p, { namespace, names }, { namespaces }): Promise<CounterModel[]> => {
    const ns = await namespaces.require(namespace);
    return names.map((name) => counterOf(ns, checkName('name', name)));
  },
  namespace: async (_p, { name }, { namespaces }) => (await namespaces.find(name)) ?? null,
  namespaces: (_p, _a, { namespaces }) => namespaces.list(),
};
