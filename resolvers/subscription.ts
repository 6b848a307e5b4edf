import type { SubscriptionResolvers } from './generated/graphql';
import { unauthenticated } from '../src/auth/errors';
import { EXPIRED, untilExpiry, type Expired } from '../src/auth/expiry';
import type { CounterModel } from '../src/model';
import { requireScope } from './access';
import type { RequestContext } from './context';

export const Subscription: SubscriptionResolvers = {
  counterUpdated: {
    // A refusal (unknown namespace, bad name) arrives as a GraphQL error on this subscription
    // only; the stream's first value and ordering are the service's (src/counters/watch.ts).
    // The stream ends when the caller's credentials do (untilExpiry): a subscription never
    // outlives its token's exp.
    subscribe: async (_p, { namespace, name }, ctx) => {
      requireScope(ctx, 'read', namespace);
      return untilExpiry(await ctx.service.watch({ namespace, name }), ctx.principal.expiresAtMs);
    },
    /**
     * Every event is executed with the operation's context: empty its DataLoaders so a field
     * that loads never sees a value cached by an earlier event.
     */
    resolve: (payload: CounterModel | Expired, _args: unknown, { loaders }: RequestContext) => {
      if (payload === EXPIRED) throw unauthenticated('the token has expired: subscribe again with fresh credentials');
      for (const loader of Object.values(loaders)) loader.clearAll();
      return payload;
    },
  },
};
