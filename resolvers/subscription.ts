import type { SubscriptionResolvers } from '../src/generated/graphql';
import type { CounterModel } from '../src/model';
import { checkName } from '../src/validate';
import { LatestValueIterator } from './latestValue';

export const Subscription: SubscriptionResolvers = {
  counterUpdated: {
    /**
     * Listens before reading the current value, so no update between the read and the
     * listen can be missed; an update that arrives first wins over the (older) read. Equal
     * consecutive values are not sent twice.
     */
    subscribe: async (_p, { namespace, name }, { namespaces, service }) => {
      const ns = await namespaces.require(namespace);
      checkName('name', name);
      let last: bigint | undefined;
      const send = (count: bigint): void => {
        if (count === last) return;
        last = count;
        it.push({ namespace: ns.name, name, mode: ns.mode, count });
      };
      const unsubscribe = service.pubsub.subscribe({ namespace: ns.name, name }, (u) => send(u.count));
      const it = new LatestValueIterator<CounterModel>(unsubscribe);
      try {
        const [count] = await service.getCounts(ns, [name]);
        if (last === undefined) send(count!);
      } catch (err) {
        it.close();
        throw err;
      }
      return it;
    },
    resolve: (payload: CounterModel) => payload,
  },
};
