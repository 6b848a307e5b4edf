import type { AddCountInput, MutationResolvers } from './generated/graphql';
import type { AddInput } from '../src/counters/types';
import type { RequestContext } from './context';
import type { CounterModel } from '../src/model';

const toAdd = (i: AddCountInput): AddInput => ({
  namespace: i.namespace,
  name: i.name,
  delta: i.delta,
  idempotencyToken: i.idempotencyToken,
});

/**
 * After a write, a later read of the same counter in this operation must not see a value
 * loaded before it: prime the loader with the count when the write knows it, else forget it.
 */
function afterWrite(ctx: RequestContext, c: CounterModel): CounterModel {
  ctx.loaders.count.clear(c);
  if (c.count !== undefined) ctx.loaders.count.prime(c, c.count);
  return c;
}

export const Mutation: MutationResolvers = {
  addCount: async (_p, { input }, ctx) => {
    const r = await ctx.service.add(toAdd(input));
    return { counter: afterWrite(ctx, r.counter), applied: r.applied };
  },

  addCounts: async (_p, { inputs }, ctx) => {
    const results = await ctx.service.addMany(inputs.map(toAdd));
    let accepted = 0;
    const items = results.map((r, index) => {
      if (r instanceof Error) {
        return { index, counter: null, applied: false, error: { code: r.code, message: r.message } };
      }
      accepted++;
      return { index, counter: afterWrite(ctx, r.counter), applied: r.applied, error: null };
    });
    return { items, acceptedCount: accepted, rejectedCount: items.length - accepted };
  },

  addAndGetCount: async (_p, { input }, ctx) => afterWrite(ctx, await ctx.service.addAndGet(toAdd(input))),

  clearCount: async (_p, { input }, ctx) => {
    const r = await ctx.service.clear({ namespace: input.namespace, name: input.name, idempotencyToken: input.idempotencyToken });
    return afterWrite(ctx, r.counter);
  },

  createNamespace: (_p, { input }, ctx) => ctx.namespaces.create(input),

  updateNamespace: (_p, { input }, ctx) => ctx.namespaces.update(input),
};
