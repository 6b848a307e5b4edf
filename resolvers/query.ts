import type { QueryResolvers } from './generated/graphql';
import { counterOf, type CounterModel } from '../src/model';
import { checkName } from '../src/validate';
import { allowed, requireAnyScope, requireScope } from './access';

export const Query: QueryResolvers = {
  // GetCount: the Counter carries no count yet; Counter.count loads it through the batch.
  counter: async (_p, { namespace, name }, ctx): Promise<CounterModel> => {
    requireScope(ctx, 'read', namespace);
    const { namespaces } = ctx;
    const ns = await namespaces.require(namespace);
    return counterOf(ns, checkName('name', name));
  },
  counters: async (_p, { namespace, names }, ctx): Promise<CounterModel[]> => {
    requireScope(ctx, 'read', namespace);
    const { namespaces } = ctx;
    const ns = await namespaces.require(namespace);
    return names.map((name) => counterOf(ns, checkName('name', name)));
  },
  // FORBIDDEN whether the namespace exists or not: the answer never tells a caller without
  // the scope which names exist.
  namespace: async (_p, { name }, ctx) => {
    requireScope(ctx, 'read', name);
    return (await ctx.namespaces.find(name)) ?? null;
  },
  // Only the namespaces the caller may read; a caller who may read none is refused.
  namespaces: async (_p, _a, ctx) => {
    requireAnyScope(ctx, 'read');
    return (await ctx.namespaces.list()).filter((ns) => allowed(ctx, 'read', ns.name));
  },
};
