/**
 * Which queue a query waits in, most urgent first: an append's (it has a deadline), a read a
 * client waits for, then the roll-up's and the sweeper's.
 */
export type Lane = 'urgent' | 'request' | 'background';

/**
 * Bounds the number of queries in flight from one store: scatter reads over many
 * partitions queue here instead of flooding the driver's connections (and the replicas).
 * Only leaf queries take a slot, so nested fan-out can never deadlock. Three lanes, first in
 * first out within each: an append must reach its insert within a bound (see ./append.ts),
 * so its queries never wait behind a client's read, nor those behind a roll-up's or a
 * sweep's scatter reads.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: Record<Lane, (() => void)[]> = { urgent: [], request: [], background: [] };

  constructor(private readonly max: number) {}

  async run<T>(fn: () => Promise<T>, lane: Lane = 'background'): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.waiting[lane].push(r));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.urgent.shift() ?? this.waiting.request.shift() ?? this.waiting.background.shift();
      if (next) next();
      else this.active--;
    }
  }

  get inFlight(): number {
    return this.active;
  }
}
