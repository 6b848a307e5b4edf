import type { SubscriptionResolvers } from '../src/generated/graphql';
import type { RequestContext } from '../src/context';
import { counterOf, type CounterModel } from '../src/model';
import { checkName } from '../src/validate';
import { LatestValueIterator } from './latestValue';

export const Subscription: SubscriptionResolvers = {
  counterUpdated: {
    /**
     * Validates first (a refusal arrives as a GraphQL error on this subscription only), then
     * listens before reading the current value, so no update between the read and the listen
     * can be missed; an update that arrives first wins over the (older) read. Equal
     * consecutive values are not sent twice, and an update read before the last one sent
     * (asOfMs, see CounterUpdate) is dropped: across instances they can arrive out of order. The listener, its pub/sub reference and the
     * active-subscriptions gauge are released exactly once, however the subscription ends
     * (client completes, disconnects, server shuts down, or the initial read fails).
     */
    subscribe: async (_p, { namespace, name }, { namespaces, service }) => {
      const ns = await namespaces.require(namespace);
      checkName('name', name);
      let last: bigint | undefined;
      let lastAsOf = -Infinity;
      const listening = { unsubscribe: (): void => {} };
      const gauge = service.metrics.subscriptions;
      const it = new LatestValueIterator<CounterModel>(() => {
        listening.unsubscribe();
        gauge.dec();
      });
      gauge.inc();
      const send = (count: bigint): void => {
        if (count === last) return;
        last = count;
        it.push(counterOf(ns, name, count));
      };
      listening.unsubscribe = service.pubsub.subscribe({ namespace: ns.name, name }, (u) => {
        if (u.asOfMs < lastAsOf) return;
        lastAsOf = u.asOfMs;
        send(u.count);
      });
      try {
        const [count] = await service.getCounts(ns, [name]);
        if (last === undefined) send(count!);
      } catch (err) {
        it.close();
        throw err;
      }
      return it;
    },
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
