import { counterKey } from '../model';
import type { CounterUpdate } from '../pubsub/types';

/**
 * BEST_EFFORT counters change on every write, with no roll-up to pace them. This keeps the
 * newest value per counter and publishes it at most once per interval: the first write
 * after a quiet spell goes out at once, later ones coalesce into one publish at the end of
 * the interval, so subscribers always end on the latest value.
 */
export class PublishThrottle {
  private readonly waiting = new Map<string, CounterUpdate>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly intervalMs: number,
    private readonly publish: (u: CounterUpdate) => void,
  ) {}

  offer(update: CounterUpdate): void {
    if (this.intervalMs === 0) return this.publish(update);
    const key = counterKey(update);
    if (this.timers.has(key)) {
      this.waiting.set(key, update);
      return;
    }
    this.publish(update);
    this.arm(key);
  }

  private arm(key: string): void {
    const t = setTimeout(() => {
      this.timers.delete(key);
      const next = this.waiting.get(key);
      if (next) {
        this.waiting.delete(key);
        this.publish(next);
        this.arm(key);
      }
    }, this.intervalMs);
    t.unref();
    this.timers.set(key, t);
  }

  /** Publishes everything waiting now and stops the timers (shutdown). */
  flush(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const u of this.waiting.values()) this.publish(u);
    this.waiting.clear();
  }
}
