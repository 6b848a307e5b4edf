/**
 * Groups the requests for one kind of read queued during one turn of the event loop (the
 * items of a bulk request, concurrent requests, a roll-up batch) into few queries: each
 * group (its key chosen by the caller: the same partition, or partitions on the same
 * replica) is answered by one query per chunk of at most `max` items. Each item's promise
 * settles with its chunk's query; a failed query rejects only the items of its chunk.
 */
export class TurnGrouper<G, I, R> {
  private queued = new Map<string, { group: G; items: { item: I; resolve: (r: R) => void; reject: (err: unknown) => void }[] }>();
  private scheduled = false;

  constructor(
    /** Runs one chunk's query; returns a result per item, in order. */
    private readonly run: (group: G, items: I[]) => Promise<R[]>,
    private readonly max: number,
    /** Orders a group's items before they are cut into chunks (e.g. to keep similar ones together), and may cut early. */
    private readonly chunk: (items: I[], max: number) => I[][] = chunkBy,
  ) {}

  add(key: string, group: G, item: I): Promise<R> {
    let g = this.queued.get(key);
    if (!g) this.queued.set(key, (g = { group, items: [] }));
    const entries = g.items;
    return new Promise<R>((resolve, reject) => {
      entries.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const groups = this.queued;
    this.queued = new Map();
    for (const { group, items } of groups.values()) {
      const waiters = new Map<I, { resolve: (r: R) => void; reject: (err: unknown) => void }[]>();
      for (const e of items) {
        const w = waiters.get(e.item);
        if (w) w.push(e);
        else waiters.set(e.item, [e]);
      }
      for (const part of this.chunk([...waiters.keys()], this.max)) void this.query(group, part, waiters);
    }
  }

  private async query(group: G, items: I[], waiters: Map<I, { resolve: (r: R) => void; reject: (err: unknown) => void }[]>): Promise<void> {
    try {
      const results = await this.run(group, items);
      items.forEach((it, i) => {
        for (const w of waiters.get(it)!) w.resolve(results[i]!);
      });
    } catch (err) {
      for (const it of items) for (const w of waiters.get(it)!) w.reject(err);
    }
  }
}

/** Consecutive chunks of at most max items. */
export function chunkBy<I>(items: I[], max: number): I[][] {
  const out: I[][] = [];
  for (let i = 0; i < items.length; i += max) out.push(items.slice(i, i + max));
  return out;
}
