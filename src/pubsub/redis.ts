import { randomBytes } from 'node:crypto';
import { Cluster, type Redis } from 'ioredis';
import type { Logger } from '../logger';
import type { CounterRef } from '../model';
import { MemoryPubSub } from './memory';
import type { CounterUpdate, Listener, PubSub } from './types';

/**
 * Pub/sub across instances over Redis. Each process holds one dedicated subscriber
 * connection and at most one Redis SUBSCRIBE per counter, reference-counted by its local
 * listeners (UNSUBSCRIBE when the last one leaves) and fanned out locally. A publish is
 * delivered to this process's listeners at once and sent with PUBLISH for the others; the
 * message carries this process's id so its own echo is ignored. Counts travel as decimal
 * strings. Redis pub/sub is fire-and-forget: a subscriber that misses a message (reconnect)
 * gets the next converged value, which is all `counterUpdated` promises.
 *
 * On a Redis Cluster (both connections ioredis Clusters, the subscriber one with
 * `shardedSubscribers`) it uses sharded pub/sub (Redis 7: SSUBSCRIBE, SPUBLISH, `smessage`):
 * a message goes through the master of its channel's slot only, instead of being broadcast
 * over the cluster bus to every node, so pub/sub scales with the masters. A counter's
 * channel carries its hash tag, so it lives on the same master as the counter's keys (a
 * master down stops that counter's updates with its BEST_EFFORT writes, nothing else). The
 * single-node channel names stay as they were (instances of an older version keep hearing
 * each other during a rolling upgrade).
 */
/** How soon a refused SSUBSCRIBE is tried again. */
const RESUBSCRIBE_MS = 1000;

export class RedisPubSub implements PubSub {
  private readonly local: MemoryPubSub;
  private readonly byChannel = new Map<string, CounterRef>();
  private readonly id = randomBytes(6).toString('base64url');
  /** Publish failures are logged once per outage, not once per update. */
  private publishFailing = false;
  /** Refused SSUBSCRIBEs being retried: logged once until one succeeds. */
  private subscribeFailing = false;
  /** Sharded pub/sub (a Redis Cluster), else plain. */
  private readonly sharded: boolean;

  constructor(
    private readonly pub: Redis | Cluster,
    private readonly sub: Redis | Cluster,
    private readonly log: Pick<Logger, 'warn'>,
    private readonly prefix = 'counters:',
  ) {
    this.sharded = sub instanceof Cluster;
    this.local = new MemoryPubSub({
      first: (ref) => {
        const ch = this.channel(ref);
        this.byChannel.set(ch, ref);
        this.subscribeChannel(ch);
      },
      last: (ref) => {
        const ch = this.channel(ref);
        this.byChannel.delete(ch);
        // Commands on one connection run in order, so a later re-SUBSCRIBE still wins.
        (this.sharded ? this.sub.sunsubscribe(ch) : this.sub.unsubscribe(ch)).catch((err: unknown) =>
          this.log.warn({ err }, 'redis unsubscribe failed'),
        );
      },
      listenerFailed: (err) => this.log.warn({ err }, 'counter listener failed'),
    });
    this.sub.on(this.sharded ? 'smessage' : 'message', (channel: string, message: string) => this.onMessage(channel, message));
  }

  /**
   * SUBSCRIBE waits in the subscriber's offline queue through an outage, and ioredis
   * subscribes again after a reconnect. An SSUBSCRIBE while the channel's master has no
   * subscriber connection (it is down, being replaced) is refused by ioredis without being
   * remembered, so it is retried while the channel is still wanted.
   */
  private subscribeChannel(ch: string): void {
    (this.sharded ? this.sub.ssubscribe(ch) : this.sub.subscribe(ch)).then(() => (this.subscribeFailing = false), (err: unknown) => {
      if (!this.subscribeFailing) this.log.warn({ err }, 'redis subscribe failed');
      this.subscribeFailing = this.sharded; // a plain SUBSCRIBE is not retried: each failure is worth its line
      if (!this.sharded) return;
      setTimeout(() => {
        if (this.byChannel.has(ch)) this.subscribeChannel(ch);
      }, RESUBSCRIBE_MS).unref();
    });
  }

  private channel(ref: CounterRef): string {
    const counter = `${ref.namespace.length}:${ref.namespace}:${ref.name}`;
    // braces: the counter's hash tag (cache/redis/keys.ts), its keys' slot
    return this.sharded ? `${this.prefix}cu:{${counter}}` : `${this.prefix}cu:${counter}`;
  }

  publish(update: CounterUpdate): void {
    this.local.publish(update);
    const ch = this.channel(update);
    const message = `${this.id} ${update.asOfMs} ${update.count.toString()}`;
    (this.sharded ? this.pub.spublish(ch, message) : this.pub.publish(ch, message)).then(
      () => (this.publishFailing = false),
      (err: unknown) => {
        if (!this.publishFailing) this.log.warn({ err }, 'redis publish failed; other instances miss updates until Redis is back');
        this.publishFailing = true;
      },
    );
  }

  subscribe(ref: CounterRef, listener: Listener): () => void {
    return this.local.subscribe(ref, listener);
  }

  activeCounters(): number {
    return this.local.activeCounters();
  }

  async close(): Promise<void> {
    await this.local.close();
    this.byChannel.clear();
  }

  private onMessage(channel: string, message: string): void {
    const ref = this.byChannel.get(channel);
    if (ref === undefined) return;
    // "<publisher id> <asOfMs> <count>"
    const [id, asOf, value] = message.split(' ');
    if (id === this.id || asOf === undefined || value === undefined) return;
    let count: bigint;
    try {
      count = BigInt(value);
    } catch {
      return;
    }
    this.local.publish({ ...ref, count, asOfMs: Number(asOf) });
  }
}
