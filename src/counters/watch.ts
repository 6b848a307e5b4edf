import type { Metrics } from '../metrics';
import { counterOf, type CounterModel, type NamespaceConfig } from '../model';
import type { PubSub } from '../pubsub/types';
import { LatestValueIterator } from './latestValue';

/**
 * The stream behind a `counterUpdated` subscription: the counter's current value, then every
 * newer converged value, conflated to the latest for a slow consumer (LatestValueIterator).
 */
export class Watcher {
  constructor(
    private readonly pubsub: Pick<PubSub, 'subscribe'>,
    private readonly metrics: Pick<Metrics, 'subscriptions'>,
  ) {}

  /**
   * Listens before reading the current value, so no update between the read and the listen
   * can be missed; an update that arrives first wins over the (older) read. Equal consecutive
   * values are not sent twice, and an update read before the last one sent (asOfMs, see
   * CounterUpdate) is dropped: across instances they can arrive out of order. The listener,
   * its pub/sub reference and the active-subscriptions gauge are released exactly once,
   * however the stream ends (consumer returns, disconnects, shutdown, or the first read fails,
   * which rejects).
   */
  async watch(ns: NamespaceConfig, name: string, read: (names: string[]) => Promise<bigint[]>): Promise<AsyncIterableIterator<CounterModel>> {
    let last: bigint | undefined;
    let lastAsOf = -Infinity;
    const listening = { unsubscribe: (): void => {} };
    const gauge = this.metrics.subscriptions;
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
    listening.unsubscribe = this.pubsub.subscribe({ namespace: ns.name, name }, (u) => {
      if (u.asOfMs < lastAsOf) return;
      lastAsOf = u.asOfMs;
      send(u.count);
    });
    try {
      const [count] = await read([name]);
      if (last === undefined) send(count!);
    } catch (err) {
      it.close();
      throw err;
    }
    return it;
  }
}
