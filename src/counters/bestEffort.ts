import type { BestEffortCache, Dedupe } from '../cache/types';
import type { Metrics } from '../metrics';
import { counterOf, type CounterEvent, type CounterRef, type NamespaceConfig } from '../model';
import type { PubSub } from '../pubsub/types';
import { PublishThrottle } from './publishThrottle';
import type { TokenInput, WriteResult } from './types';

export interface BestEffortOptions {
  /** See ROLLUP_SKEW_MARGIN_MS: how far other instances' clocks may be from ours. */
  skewMarginMs: number;
  publishThrottleMs: number;
}

/**
 * BEST_EFFORT counters: the cache's sums (no events, no roll-up), the token's dedupe mark,
 * the clear watermark's lifetime, and throttled publishes to subscribers (every write changes
 * the value, with no roll-up to pace them).
 */
export class BestEffortCounters {
  private readonly throttle: PublishThrottle;

  constructor(
    private readonly cache: BestEffortCache,
    pubsub: Pick<PubSub, 'publish'>,
    private readonly metrics: Pick<Metrics, 'writes'>,
    private readonly opts: BestEffortOptions,
  ) {
    this.throttle = new PublishThrottle(opts.publishThrottleMs, (u) => pubsub.publish(u));
  }

  async add(ns: NamespaceConfig, event: CounterEvent, token: TokenInput | null | undefined): Promise<WriteResult> {
    const { count, outcome } = await this.cache.add({
      ref: event,
      delta: event.delta,
      timeUs: event.timeUs,
      ttlSeconds: ns.ttlSeconds,
      dedupe: this.dedupe(ns, event, token),
    });
    this.metrics.writes.inc({ mode: ns.mode, outcome });
    if (outcome === 'applied') this.throttle.offer({ namespace: ns.name, name: event.name, count, asOfMs: Date.now() });
    // An add generated at or before a clear is accepted (not a retry) but does not count: as
    // in the durable modes, the payload says applied and the count leaves it out.
    return { counter: counterOf(ns, event.name, count), applied: outcome !== 'duplicate' };
  }

  async clear(ns: NamespaceConfig, event: CounterEvent, token: TokenInput | null | undefined): Promise<WriteResult> {
    const { count, outcome } = await this.cache.clear({
      ref: event,
      clearUs: event.timeUs,
      watermarkTtlMs: this.watermarkTtlMs(ns, event),
      dedupe: this.dedupe(ns, event, token),
    });
    this.metrics.writes.inc({ mode: ns.mode, outcome });
    this.throttle.offer({ namespace: ns.name, name: event.name, count, asOfMs: Date.now() });
    return { counter: counterOf(ns, event.name, count), applied: outcome === 'applied' };
  }

  get(refs: CounterRef[]): Promise<bigint[]> {
    return this.cache.get(refs);
  }

  /** Publishes the values still held back by the throttle (shutdown). */
  flush(): void {
    this.throttle.flush();
  }

  /**
   * How long a clear's watermark must be kept: an add at or before the clear's time can be
   * accepted (on any instance whose clock is within the skew margin of ours) only until that
   * time + acceptLimit + skew margin; after that it would be refused anyway.
   */
  private watermarkTtlMs(ns: NamespaceConfig, event: CounterEvent): number {
    return Math.max(1, Math.ceil(event.timeUs / 1000) + ns.acceptLimitMs + this.opts.skewMarginMs + 1 - Date.now());
  }

  /**
   * Token deduplication: a token can only be accepted within acceptLimit of the server's
   * clock on either side, so remembering it for twice that (plus the skew margin) covers
   * every retry that could still be accepted.
   */
  private dedupe(ns: NamespaceConfig, event: CounterEvent, token: TokenInput | null | undefined): Dedupe | null {
    if (!token) return null;
    return {
      key: `${ns.name}\u0000${event.name}\u0000${token.token}\u0000${event.timeUs}`,
      ttlMs: 2 * ns.acceptLimitMs + this.opts.skewMarginMs,
    };
  }
}
