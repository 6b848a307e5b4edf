import type { SubscriptionResolvers } from './generated/graphql';
import type { CounterModel } from '../src/model';
import type { RequestContext } from './context';

export const Subscription: SubscriptionResolvers = {
  counterUpdated: {
    // A refusal (unknown namespace, bad name) arrives as a GraphQL error on this subscription
    // only; the stream's first value and ordering are the service's (src/counters/watch.ts).
    subscribe: (_p, { namespace, name }, { service }) => service.watch({ namespace, name }),
    /**
     * Every event is executed with the operation's context: empty its DataLoaders so a field
     * that loads never sees a value cached by an earlier event.
     */
    resolve: (payload: CounterModel, _args: unknown, { loaders }: RequestContext) => {
      for (const loader of Object.values(loaders)) loader.clearAll();
      return payload;
    },
  },
};
