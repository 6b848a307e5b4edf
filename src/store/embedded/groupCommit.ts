/**
 * Groups concurrent submissions into one commit. Everything submitted during one turn of the
 * event loop is committed together on the next `setImmediate`, so N concurrent requests
 * cost one transaction (one fsync) instead of N, without adding a timer's latency when the
 * service is idle. One group is in flight at a time: what arrives while it commits (the
 * writer thread's fsync) forms the next group, so groups grow with the load. If a commit
 * fails, every submission of that group is rejected and nothing of the group was written.
 */
export class GroupCommitter<T, R> {
  private items: T[] = [];
  private waiters: { start: number; count: number; resolve: (r: R[]) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};

  constructor(
    private readonly commit: (items: T[]) => R[] | Promise<R[]>,
    /** Largest group: bounds one transaction's time and message size. */
    private readonly maxGroup = 20_000,
  ) {}

  submit(items: T[]): Promise<R[]> {
    return new Promise<R[]>((resolve, reject) => {
      this.waiters.push({ start: this.items.length, count: items.length, resolve, reject });
      for (const it of items) this.items.push(it);
      if (!this.scheduled) {
        this.scheduled = true;
        this.idle = new Promise<void>((r) => (this.markIdle = r));
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Resolves once everything submitted so far is committed. */
  drain(): Promise<void> {
    return this.idle;
  }

  private async flush(): Promise<void> {
    while (this.waiters.length > 0) {
      // Take whole submissions up to maxGroup items (a single larger one goes alone).
      let n = 0;
      let take = 0;
      while (take < this.waiters.length && (take === 0 || n + this.waiters[take]!.count <= this.maxGroup)) {
        n += this.waiters[take]!.count;
        take++;
      }
      const waiters = this.waiters.splice(0, take);
      const items = this.items.splice(0, n);
      for (const w of this.waiters) w.start -= n;
      try {
        const results = await this.commit(items);
        for (const w of waiters) w.resolve(results.slice(w.start, w.start + w.count));
      } catch (err) {
        for (const w of waiters) w.reject(err);
      }
    }
    this.scheduled = false;
    this.markIdle();
  }
}
