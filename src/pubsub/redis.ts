import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
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
 */
export class RedisPubSub implements PubSub {
  private readonly local: MemoryPubSub;
  private readonly byChannel = new Map<string, CounterRef>();
  private readonly id = randomBytes(6).toString('base64url');
  /** Publish failures are logged once per outage, not once per update. */
  private publishFailing = false;

  constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly log: Pick<Logger, 'warn'>,
    private readonly prefix = 'counters:',
  ) {
    this.local = new MemoryPubSub({
      first: (ref) => {
        const ch = this.channel(ref);
        this.byChannel.set(ch, ref);
        this.sub.subscribe(ch).catch((err: unknown) => this.log.warn({ err }, 'redis subscribe failed'));
      },
      last: (ref) => {
        const ch = this.channel(ref);
        this.byChannel.delete(ch);
        // Commands on one connection run in order, so a later re-SUBSCRIBE still wins.
        this.sub.unsubscribe(ch).catch((err: unknown) => this.log.warn({ err }, 'redis unsubscribe failed'));
      },
      listenerFailed: (err) => this.log.warn({ err }, 'counter listener failed'),
    });
    this.sub.on('message', (channel: string, message: string) => this.onMessage(channel, message));
  }

  private channel(ref: CounterRef): string {
    return `${this.prefix}cu:${ref.namespace.length}:${ref.namespace}:${ref.name}`;
  }

  publish(update: CounterUpdate): void {
    this.local.publish(update);
    this.pub.publish(this.channel(update), `${this.id} ${update.asOfMs} ${update.count.toString()}`).then(
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
