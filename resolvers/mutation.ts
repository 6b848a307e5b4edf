import type { AddCountInput, AddCountPayloadResolvers, AddCountsItemResolvers, AddCountsPayloadResolvers, MutationResolvers } from './generated/graphql';
import type { AddInput } from '../src/counters/types';
import type { RequestContext } from './context';
import type { CounterModel } from '../src/model';
import { forbidden } from '../src/auth/errors';
import { allowed, requireAnyScope, requireScope } from './access';
import { appliedAsked, selects } from './selection';

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
  // Nothing loaded in this operation yet (an addCounts on its own): nothing to forget, and
  // no key to build per item.
  if (!ctx.loaders.count.empty) ctx.loaders.count.clear(c);
  if (c.count !== undefined) ctx.loaders.count.prime(c, c.count);
  return c;
}

/**
 * Whether a write was a retry is computed only for an operation that selects `applied`: on
 * Cassandra it costs a read of the event row per write, and most writers never ask.
 */
export const Mutation: MutationResolvers = {
  addCount: async (_p, { input }, ctx, info) => {
    requireScope(ctx, 'write', input.namespace);
    const r = await ctx.service.add(toAdd(input), { applied: selects(info, ['applied']) });
    return { counter: afterWrite(ctx, r.counter), applied: r.applied };
  },

  /**
   * A caller who may write nowhere is refused the whole field; otherwise each item is checked
   * against its own namespace, and an item outside the caller's scopes is refused alone
   * (ItemError FORBIDDEN, nothing written for it), like any other per-item refusal.
   */
  addCounts: async (_p, { inputs }, ctx, info) => {
    requireAnyScope(ctx, 'write');
    const permitted = inputs.map((i) => allowed(ctx, 'write', i.namespace));
    const written = await ctx.service.addMany(
      inputs.filter((_, i) => permitted[i]).map(toAdd),
      { applied: selects(info, ['items', 'applied']) },
    );
    let next = 0;
    const results = inputs.map((i, index) => (permitted[index] ? written[next++]! : forbidden('write', i.namespace)));
    let accepted = 0;
    const outcomes = results.map((r) => {
      if (r instanceof Error) return { code: r.code, message: r.message, failed: true as const };
      accepted++;
      afterWrite(ctx, r.counter);
      return r;
    });
    return { outcomes, acceptedCount: accepted, rejectedCount: results.length - accepted };
  },

  addAndGetCount: async (_p, { input }, ctx) => {
    requireScope(ctx, 'write', input.namespace);
    return afterWrite(ctx, await ctx.service.addAndGet(toAdd(input), { applied: false }));
  },

  clearCount: async (_p, { input }, ctx) => {
    requireScope(ctx, 'write', input.namespace);
    const r = await ctx.service.clear({ namespace: input.namespace, name: input.name, idempotencyToken: input.idempotencyToken });
    return afterWrite(ctx, r.counter);
  },

  // A namespace-narrowed admin (counters:admin:<name>) may create that one namespace.
  createNamespace: (_p, { input }, ctx) => {
    requireScope(ctx, 'admin', input.name);
    return ctx.namespaces.create(input);
  },

  updateNamespace: (_p, { input }, ctx) => {
    requireScope(ctx, 'admin', input.name);
    return ctx.namespaces.update(input);
  },

  // Scope before existence (access.ts): a caller without admin on the name learns nothing of it.
  deleteNamespace: async (_p, { name }, ctx) => {
    requireScope(ctx, 'admin', name);
    await ctx.namespaces.delete(name);
    return { name, status: 'DELETING' };
  },
};

/** The per-item outcomes of addCounts, made into objects only when `items` is selected. */
export const AddCountsPayload: AddCountsPayloadResolvers = {
  items: (p) =>
    p.outcomes.map((o, index) =>
      'failed' in o
        ? { index, counter: null, applied: false, error: { code: o.code, message: o.message } }
        : { index, counter: o.counter, applied: o.applied, error: null },
    ),
};

export const AddCountPayload: AddCountPayloadResolvers = {
  applied: (p) => appliedAsked(p.applied),
};

export const AddCountsItem: AddCountsItemResolvers = {
  applied: (p) => appliedAsked(p.applied),
};
