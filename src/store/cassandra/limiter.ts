/**
 * Which queue a query waits in, most urgent first: an append's (it has a deadline), a read a
 * client waits for, then the roll-up's and the sweeper's.
 */
export type Lane = 'urgent' | 'request' | 'background';

interface Waiter {
  weight: number;
  start: () => void;
}

/**
 * Bounds the partitions being read or written from one store at once: scatter reads over
 * many partitions queue here instead of flooding the driver's connections (and the replicas).
 * A query takes as many slots as partitions it reads (a grouped `IN` read of 64 rows takes
 * 64, capped at the whole bound), so grouping cannot put more work in flight at the replicas
 * than single-partition queries did, where the lanes below could not reorder it any more.
 * Only leaf queries take slots, so nested fan-out can never deadlock. Three lanes, first in
 * first out within each: an append must reach its insert within a bound (see ./append.ts),
 * so its queries never wait behind a client's read, nor those behind a roll-up's or a
 * sweep's scatter reads.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: Record<Lane, Waiter[]> = { urgent: [], request: [], background: [] };

  constructor(private readonly max: number) {}

  async run<T>(fn: () => Promise<T>, lane: Lane = 'background', weight = 1): Promise<T> {
    const w = Math.max(1, Math.min(this.max, Math.ceil(weight)));
    if (this.active + w <= this.max && !this.queuedAtOrAbove(lane)) this.active += w;
    else await new Promise<void>((start) => this.waiting[lane].push({ weight: w, start }));
    try {
      return await fn();
    } finally {
      this.active -= w;
      this.startWaiting();
    }
  }

  get inFlight(): number {
    return this.active;
  }

  /** Whether a query of this lane or a more urgent one waits (a new one then queues behind it). */
  private queuedAtOrAbove(lane: Lane): boolean {
    if (this.waiting.urgent.length > 0) return true;
    if (lane === 'urgent') return false;
    if (this.waiting.request.length > 0) return true;
    return lane === 'background' && this.waiting.background.length > 0;
  }

  /** Starts the queued queries, most urgent lane first, while the next one fits (never skipping it: no starvation). */
  private startWaiting(): void {
    for (;;) {
      const lane = this.waiting.urgent.length > 0 ? this.waiting.urgent : this.waiting.request.length > 0 ? this.waiting.request : this.waiting.background;
      const next = lane[0];
      if (!next || this.active + next.weight > this.max) return;
      lane.shift();
      this.active += next.weight;
      next.start();
    }
  }
}
