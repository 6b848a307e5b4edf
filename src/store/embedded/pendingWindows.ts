import type { CounterRef } from '../../model';
import { bucketEndUs, bucketOf } from './buckets';

/** What the store knows of one counter's events past its checkpoint. */
export interface CounterWindow {
  /** The newest event time noted for the counter. */
  lastWriteUs: number;
  /** The time buckets that may hold its events past its checkpoint, ascending. */
  buckets: number[];
}

/** Buckets per word of a packed window's bit set. */
const WORD = 32;

/**
 * One counter's window as stored: `[lastWriteUs, firstWord, mask, mask, ...]`, its buckets as a
 * bit set: bit i of the k-th mask is bucket (firstWord + k) * 32 + i. The first and the last
 * mask are never 0. An exact-size array of doubles (unboxed): 80 bytes for a counter written
 * over the last minute (made by concat and slice: an array literal with a spread in it is
 * grown as it is built, to 20 slots for 3). A list of buckets grown by push took ~290 (100K windows: 32 MB of
 * the heap under sustained addCounts over 100K counters, each written about every second
 * until its steady roll-up; runs of consecutive buckets did not help, a Poisson writer leaves
 * a gap every other second).
 */
type Packed = number[];

const lowestBit = (mask: number): number => 31 - Math.clz32(mask & -mask);
const firstBucket = (w: Packed): number => w[1]! * WORD + lowestBit(w[2]!);

/**
 * The embedded store's in-memory record of counters that may have events past their
 * checkpoint, and in which time buckets: what the `rollups` upsert of every append used to
 * keep on disk. Its durable copy is the `marks` table (one row per counter and bucket,
 * written with the events), from which a restart rebuilds it (./recovery.ts).
 *
 * The rule that makes reads exact: every event of a counter newer than its checkpoint lies in
 * one of the buckets of its window. A window only gains buckets from appends (noted when
 * their commit is answered, or when their outcome is unknown) and only loses those a
 * checkpoint covers whole (`settle`), which is safe whatever was appended meanwhile:
 * checkpoints never move back, and events at or before one are never read again.
 */
export class PendingWindows {
  private readonly byNs = new Map<string, Map<string, Packed>>();
  /** Per namespace, how many windows start at each bucket: the marks below the least are obsolete. */
  private readonly firsts = new Map<string, Map<number, number>>();
  /** list()'s candidate times; grown to the most windows of a namespace seen. */
  private scratch = new Float64Array(0);

  constructor(private readonly bucketUs: number) {}

  /** Records an event of the counter at timeUs (stored, or possibly stored). */
  note(namespace: string, name: string, timeUs: number): void {
    const b = bucketOf(timeUs, this.bucketUs);
    const word = Math.floor(b / WORD);
    const bit = (1 << (b - word * WORD)) >>> 0;
    let counters = this.byNs.get(namespace);
    if (!counters) this.byNs.set(namespace, (counters = new Map()));
    const w = counters.get(name);
    if (!w) {
      counters.set(name, [timeUs, word, bit]);
      this.countFirst(namespace, b, 1);
      return;
    }
    if (timeUs > w[0]!) w[0] = timeUs;
    // Most events fall into the newest word of their counter.
    const k = word - w[1]! + 2;
    if (k >= 2 && k < w.length) {
      const before = k === 2 ? firstBucket(w) : 0;
      w[k] = (w[k]! | bit) >>> 0;
      if (k === 2 && b < before) this.moveFirst(namespace, before, b);
      return;
    }
    const before = firstBucket(w);
    let next: Packed;
    if (k >= w.length) {
      next = w.concat(new Array<number>(k - w.length).fill(0), bit);
    } else {
      next = [w[0]!, word, bit].concat(new Array<number>(1 - k).fill(0), w.slice(2));
      this.moveFirst(namespace, before, b);
    }
    counters.set(name, next);
  }

  get(ref: CounterRef): CounterWindow | undefined {
    const w = this.byNs.get(ref.namespace)?.get(ref.name);
    return w && { lastWriteUs: w[0]!, buckets: bucketsOf(w) };
  }

  /** The newest write noted for the counter (0: none). */
  lastWriteUs(ref: CounterRef): number {
    return this.byNs.get(ref.namespace)?.get(ref.name)?.[0] ?? 0;
  }

  /**
   * The counter's checkpoint is at least checkpointUs: drops the buckets it covers whole, and
   * the whole window when the newest write noted is covered (nothing of it is pending).
   */
  settle(ref: CounterRef, checkpointUs: number): void {
    const counters = this.byNs.get(ref.namespace);
    const w = counters?.get(ref.name);
    if (!w) return;
    const before = firstBucket(w);
    if (w[0]! <= checkpointUs) {
      this.countFirst(ref.namespace, before, -1);
      counters!.delete(ref.name);
      return;
    }
    // The first bucket that ends after the checkpoint; bucket(lastWriteUs) is one, so it stays.
    const cb = bucketOf(checkpointUs, this.bucketUs);
    const keep = bucketEndUs(cb, this.bucketUs) > checkpointUs ? cb : cb + 1;
    if (before >= keep) return;
    const word = Math.floor(keep / WORD);
    const shift = keep - word * WORD;
    let k = word - w[1]! + 2;
    w[k] = ((w[k]! >>> shift) << shift) >>> 0;
    while (w[k] === 0) k++;
    let next = w;
    if (k > 2) {
      next = w.slice(k - 2);
      next[0] = w[0]!;
      next[1] = w[1]! + k - 2;
      counters!.set(ref.name, next);
    }
    this.moveFirst(ref.namespace, before, firstBucket(next));
  }

  /**
   * Whether settle(ref, checkpointUs) would change this window (read before: a roll-up's reads
   * mostly find nothing to settle, and then need no look-up of the counter).
   */
  covers(w: CounterWindow, checkpointUs: number): boolean {
    return w.lastWriteUs <= checkpointUs || bucketEndUs(w.buckets[0]!, this.bucketUs) <= checkpointUs;
  }

  /**
   * Counters of the namespace with a newest write at or before upToUs, or (steadyBeforeUs)
   * whose oldest bucket ended at or before steadyBeforeUs, oldest newest write first, at most
   * limit. On the event loop, every sweep, over every window: with more candidates than the
   * limit, a first pass finds the limit's oldest time (a selection over the candidates' times
   * in a scratch array kept between sweeps) and a second takes the counters up to it. A list
   * of every candidate's name and time made per sweep was 3-4 MB of short-lived large
   * arrays each second at 100K windows (old-space garbage: peak RSS).
   */
  list(namespace: string, upToUs: number, limit: number, steadyBeforeUs = Number.NEGATIVE_INFINITY): CounterRef[] {
    const counters = this.byNs.get(namespace);
    if (!counters || limit <= 0) return [];
    const due = (w: Packed): boolean => w[0]! <= upToUs || bucketEndUs(firstBucket(w), this.bucketUs) <= steadyBeforeUs;
    let cut = Number.POSITIVE_INFINITY;
    if (counters.size > limit) {
      if (this.scratch.length < counters.size) this.scratch = new Float64Array(Math.max(counters.size, 2 * this.scratch.length));
      let n = 0;
      for (const w of counters.values()) if (due(w)) this.scratch[n++] = w[0]!;
      if (n > limit) cut = selectKth(this.scratch, n, limit - 1);
    }
    const names: string[] = [];
    const times: number[] = [];
    for (const [name, w] of counters) {
      if (w[0]! > cut || !due(w)) continue;
      names.push(name);
      times.push(w[0]!);
    }
    const picked = names.map((_, i) => i);
    picked.sort((a, b) => times[a]! - times[b]! || (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0));
    return picked.slice(0, limit).map((i) => ({ namespace, name: names[i]! }));
  }

  /** The least bucket any window of the namespace holds (undefined: none). */
  floor(namespace: string): number | undefined {
    let least: number | undefined;
    for (const b of this.firsts.get(namespace)?.keys() ?? []) if (least === undefined || b < least) least = b;
    return least;
  }

  /** Forgets the namespace's counters (its data was removed). */
  forget(namespace: string): void {
    this.byNs.delete(namespace);
    this.firsts.delete(namespace);
  }

  private moveFirst(namespace: string, from: number, to: number): void {
    if (from === to) return;
    this.countFirst(namespace, from, -1);
    this.countFirst(namespace, to, 1);
  }

  private countFirst(namespace: string, bucket: number, by: 1 | -1): void {
    let h = this.firsts.get(namespace);
    if (!h) this.firsts.set(namespace, (h = new Map()));
    const n = (h.get(bucket) ?? 0) + by;
    if (n > 0) h.set(bucket, n);
    else h.delete(bucket);
  }
}

/** The buckets of a packed window, ascending. */
function bucketsOf(w: Packed): number[] {
  const out: number[] = [];
  for (let k = 2; k < w.length; k++) {
    const base = (w[1]! + k - 2) * WORD;
    for (let m = w[k]!; m !== 0; m = (m & (m - 1)) >>> 0) out.push(base + lowestBit(m));
  }
  return out;
}

/**
 * The k-th smallest (0-based) of a[0..n) (Hoare's quickselect, middle pivot; reorders a):
 * O(n) on average, no allocation.
 */
function selectKth(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[lo]!;
}
