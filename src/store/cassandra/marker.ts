import { LRUCache } from 'lru-cache';

/** Counters whose mark state is kept by default (an evicted one just gets its next mark written). */
const DEFAULT_STATES = 100_000;

interface Waiter {
  t: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface State {
  /** The best value this process has durably written (largest for 'max', smallest for 'min'). */
  written: number | undefined;
  want: number | undefined;
  waiters: Waiter[];
  running: boolean;
}

/**
 * Per-counter group commit of a monotonic mark (a max- or min-merged value such as a
 * counter's newest event time). A write is needed only when it improves on what this
 * process already wrote; while one write of a counter's mark is in flight, later requests
 * wait and are then covered by one write of the best value asked for meanwhile. A hot
 * counter therefore costs about one mark write per round trip per process, not one per
 * increment. Skipping is exact because the stored value is merged (max or min) by Cassandra
 * itself: a value this process durably wrote can only have been improved on since.
 */
export class MarkCommitter {
  private readonly states: LRUCache<string, State>;

  constructor(
    private readonly direction: 'max' | 'min',
    max = DEFAULT_STATES,
  ) {
    // Entries with waiters are never evicted while busy: they are re-set on every use.
    this.states = new LRUCache({ max });
  }

  private better(a: number, b: number | undefined): boolean {
    return b === undefined || (this.direction === 'max' ? a > b : a < b);
  }

  ensure(key: string, t: number, write: (v: number) => Promise<unknown>): Promise<void> {
    let s = this.states.get(key);
    if (!s) {
      s = { written: undefined, want: undefined, waiters: [], running: false };
      this.states.set(key, s);
    }
    if (!this.better(t, s.written)) return Promise.resolve();
    const state = s;
    return new Promise<void>((resolve, reject) => {
      state.waiters.push({ t, resolve, reject });
      if (this.better(t, state.want)) state.want = t;
      if (!state.running) void this.run(key, state, write);
    });
  }

  private async run(key: string, s: State, write: (v: number) => Promise<unknown>): Promise<void> {
    s.running = true;
    while (s.waiters.length > 0) {
      const v = s.want!;
      const round = s.waiters.filter((w) => !this.better(w.t, v));
      s.waiters = s.waiters.filter((w) => this.better(w.t, v));
      s.want = undefined;
      for (const w of s.waiters) if (this.better(w.t, s.want)) s.want = w.t;
      try {
        await write(v);
        if (this.better(v, s.written)) s.written = v;
        for (const w of round) w.resolve();
      } catch (err) {
        for (const w of round) w.reject(err);
      }
      this.states.set(key, s);
    }
    s.running = false;
  }
}
