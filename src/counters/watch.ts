import type { RollupTrigger } from '../../rollup/trigger';
import type { Metrics } from '../metrics';
import { counterKey, counterOf, type CounterModel, type NamespaceConfig } from '../model';
import type { PubSub } from '../pubsub/types';
import type { Tappable } from '../stream';
import { LatestValueIterator } from './latestValue';

/**
 * Subscribers of one counter handed a new value in one turn of the event loop; a larger
 * fan-out goes on in the next turns (setImmediate), so that the HTTP requests and the
 * roll-up are not held up by one update's 10,000 socket writes, and a newer update reaches
 * the subscribers not yet served instead of the older one.
 */
export const FAN_OUT_CHUNK = 500;

/** One subscriber of a feed. */
interface Tap {
  it: LatestValueIterator<CounterModel>;
  /** The last count handed to it (equal consecutive values are not sent twice). */
  last: bigint | undefined;
  /** The feed's version it has been offered (the one current when it joined, at first). */
  seen: number;
}

/**
 * One counter's converged values, shared by all of its subscribers in this process: one
 * pub/sub listener, one value object per update (so the transport can render an update once
 * for every subscriber watching it the same way, see Tappable.source), handed to every
 * subscriber in order, a large fan-out over several turns.
 */
class Feed {
  readonly taps = new Set<Tap>();
  /** Ends the pub/sub listener and the roll-up's watched lane for this counter. */
  unsubscribe: () => void = () => {};
  /** The newest update's value, its version (one per accepted update) and read time. */
  private latest: CounterModel | undefined;
  version = 0;
  private lastAsOf = -Infinity;
  /** A fan-out over several turns is running. */
  private fanning = false;

  constructor(
    public ns: NamespaceConfig,
    readonly name: string,
  ) {}

  /**
   * An update older than the last one accepted is dropped: across instances they can arrive
   * out of order (asOfMs, see CounterUpdate).
   */
  update(count: bigint, asOfMs: number): void {
    if (asOfMs < this.lastAsOf) return;
    this.lastAsOf = asOfMs;
    this.latest = counterOf(this.ns, this.name, count);
    this.version++;
    if (this.fanning) return; // the running fan-out hands on the newest value, then goes round again
    if (this.taps.size <= FAN_OUT_CHUNK) {
      for (const tap of this.taps) this.offer(tap);
      return;
    }
    this.fanning = true;
    this.fanOut([...this.taps], 0, this.version);
  }

  offer(tap: Tap): void {
    if (tap.seen >= this.version) return;
    tap.seen = this.version;
    const value = this.latest!;
    if (value.count === tap.last) return;
    tap.last = value.count;
    tap.it.push(value);
  }

  /** taps[from..from + FAN_OUT_CHUNK) now, the rest in the next turns; then again if a newer update came meanwhile. */
  private fanOut(taps: Tap[], from: number, version: number): void {
    const end = Math.min(from + FAN_OUT_CHUNK, taps.length);
    for (let i = from; i < end; i++) this.offer(taps[i]!);
    if (end < taps.length) {
      setImmediate(() => this.fanOut(taps, end, version));
      return;
    }
    if (this.version === version || this.taps.size === 0) {
      this.fanning = false;
      return;
    }
    // Taps that joined since had their own first read; the others catch up on the newest value.
    const again = [...this.taps];
    setImmediate(() => this.fanOut(again, 0, this.version));
  }
}

/**
 * The streams behind `counterUpdated` subscriptions: the counter's current value, then every
 * newer converged value, conflated to the latest for a slow consumer (LatestValueIterator).
 */
export class Watcher {
  private readonly feeds = new Map<string, Feed>();

  constructor(
    private readonly pubsub: Pick<PubSub, 'subscribe'>,
    private readonly metrics: Pick<Metrics, 'subscriptions'>,
    private readonly rollup: Pick<RollupTrigger, 'watch'>,
  ) {}

  /**
   * Joins the counter's feed (its listener made by the first subscriber) before reading the
   * current value, so no update between the read and the join can be missed; an update that
   * arrives first wins over the (older) read, and one that came before the join is never
   * sent (the read is at least as new). Equal consecutive values are not sent twice, and an
   * update read before the last one accepted is dropped. The subscriber's place in the feed,
   * the feed's pub/sub listener once the last one leaves, and the active-subscriptions gauge
   * are released exactly once, however the stream ends (consumer returns, disconnects,
   * shutdown, or the first read fails, which rejects).
   */
  async watch(ns: NamespaceConfig, name: string, read: (names: string[]) => Promise<bigint[]>): Promise<Tappable<CounterModel>> {
    const key = counterKey({ namespace: ns.name, name });
    let feed = this.feeds.get(key);
    if (!feed) {
      const created = new Feed(ns, name);
      this.feeds.set(key, (feed = created));
      const listening = this.pubsub.subscribe({ namespace: ns.name, name }, (u) => created.update(u.count, u.asOfMs));
      const unwatch = this.rollup.watch({ namespace: ns.name, name });
      created.unsubscribe = () => {
        listening();
        unwatch();
      };
    }
    // The newest settings (a namespace changed since the feed was made) name its values from now on.
    feed.ns = ns;
    const joined = feed;
    const gauge = this.metrics.subscriptions;
    const tap: Tap = {
      it: new LatestValueIterator<CounterModel>(() => {
        gauge.dec();
        joined.taps.delete(tap);
        if (joined.taps.size > 0 || this.feeds.get(key) !== joined) return;
        this.feeds.delete(key);
        joined.unsubscribe();
      }, joined),
      last: undefined,
      seen: joined.version,
    };
    const joinedAt = joined.version;
    joined.taps.add(tap);
    gauge.inc();
    try {
      const [count] = await read([name]);
      // Nothing offered since the join: the read is the newest value known.
      if (tap.seen === joinedAt && joined.version === joinedAt) {
        tap.last = count!;
        tap.it.push(counterOf(ns, name, count!));
      }
    } catch (err) {
      tap.it.close();
      throw err;
    }
    return tap.it;
  }
}
