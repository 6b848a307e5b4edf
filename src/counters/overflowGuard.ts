import { CounterError, ErrorCode, unavailable } from '../errors';
import { counterKey, inInt64, type CounterEvent, type CounterRef, type NamespaceConfig } from '../model';
import { ClockMap } from '../clockMap';

/** Past this magnitude the local estimate is not trusted for the overflow check: read exactly. */
const NEAR_EDGE = 1n << 62n;
const near = (v: bigint): boolean => v >= NEAR_EDGE || v <= -NEAR_EDGE;
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const abs = (v: bigint): bigint => (v < 0n ? -v : v);

/**
 * What the guard knows of one counter: bounds [lo, hi] of its committed count (every write
 * stored so far, by the contract's fold: the sum of the adds after the newest clear), and
 * the newest clear known to be stored. An add generated at or before that clear never counts,
 * whenever it is stored; any other add counts once stored, until a newer clear.
 */
interface Known {
  lo: bigint;
  hi: bigint;
  clearUs: number;
  /** Bumped by each exact observation: adds admitted before it may or may not be in it. */
  epoch: number;
  /** Sums of the stored adds that count, released so far (positive and negative apart). */
  releasedPos: bigint;
  releasedNeg: bigint;
  /** Clears released so far. */
  clearsReleased: number;
  /** Clears admitted and not released: until then the count is either world's. */
  clears: number;
  /** ClockMap's use mark. */
  used: boolean;
}

/**
 * An admitted write, handed back to `release` (`releaseClear`) once its append finished. The
 * caller keeps it, with the counter's key computed once: a WeakMap of events to tickets
 * cost ~0.6 µs per write in a micro-benchmark (set, get, delete), and more in the gc.
 */
export interface Ticket {
  readonly event: CounterEvent;
  readonly key: string;
  /**
   * What was known of the counter at admission. `release` moves it without looking the
   * counter up again (a cold look-up in up to maxCounters entries once the append is back):
   * while an add is held no other entry can replace it (see `observe`), and one evicted or
   * forgotten meanwhile is no longer reachable, so moving it changes nothing. Undefined for
   * an add admitted on the store-wide bound alone (see OverflowGuard.bound).
   */
  readonly known: Known | undefined;
  readonly epoch: number;
  /** The write was generated at or before a stored clear: it cannot count, nothing is held. */
  readonly void: boolean;
}

/** What the guard knew of a counter when a read of it began (`mark`). */
export interface Mark {
  releasedPos: bigint;
  releasedNeg: bigint;
  clearsReleased: number;
  /**
   * The counter was unknown, with the store-wide bound on: the magnitude of the adds admitted
   * on that bound and released so far (the read may miss those released before it is observed).
   */
  unknownAt?: bigint;
  /** With unknownAt: the clears admitted on the bound alone and released so far. */
  unknownClears?: number;
}

/** When an exact count was read: `mark(ref)` taken before the read, and its newest clear. */
export interface Observation {
  /** undefined: the counter was unknown when the read began. */
  mark: Mark | undefined;
  /** The newest clear in the events read (µs), or null when there is none past the checkpoint. */
  clearUs: number | null;
}

/**
 * Refuses a durable write whose result would leave the signed 64-bit range, as far as this
 * process can know at write time, so that the count stays the exact sum of the acknowledged
 * writes after the newest clear (nothing saturates).
 *
 * Writes land out of time order: an add may be generated before a clear that was already
 * stored (it then never counts), and a clear generated before adds already stored leaves only
 * the sum of those after it, a value no add was checked against. So the guard keeps bounds
 * rather than a value, and moves them only by what is certain:
 * - an add in flight is held (positive and negative sums apart) and checked against both
 *   bounds with every other add in flight; one generated at or before the newest stored clear
 *   is not held at all;
 * - once stored it moves both bounds by its delta when it certainly counts and the count
 *   read last could not have held it yet; otherwise (a read raced with it, a clear was in
 *   flight) it only widens them;
 * - a clear is checked before it is stored against the sum of the events after it (read by
 *   the caller, `admitClear`) and refused with COUNT_OVERFLOW if that leaves the range;
 *   while it is in flight the bounds cover both the count before and after it;
 * - an exact read replaces the bounds, around it by the adds stored here since the read
 *   began (it may or may not hold them); after a clear stored since, it only widens them.
 *
 * When it knows nothing of a counter, or a value involved is near the edge, the caller must
 * read the exact count first (`needsExactBase`) and tell it (`observe`). Writers on other
 * instances can still push a sum past the edge together; the roll-up then saturates (see
 * rollup/fold.ts clamp).
 *
 * With a store this process alone writes to, it also keeps a bound on the magnitude of every
 * count (`bound`: the store's at open, plus the magnitude of every add admitted since, held
 * or not, stored or not): an add to a counter it knows nothing of is admitted without an
 * exact read as long as the bound plus the add stays below 2^62. Under addCounts over
 * 100,000 new counters that read was the first write of each counter's cost.
 *
 * The methods take the counter's key (`counterKey`) when the caller has it: building and
 * hashing a fresh key string costs ~0.4 µs, and the write path looks a counter up in the
 * guard and the roll-up several times per item.
 */
export class OverflowGuard {
  private readonly known: ClockMap<Known>;
  private readonly inflight = new Map<string, { pos: bigint; neg: bigint }>();
  /** Magnitude of the adds admitted on the store-wide bound alone and released (see Mark.unknownAt). */
  private boundReleased = 0n;
  /**
   * Magnitude of the adds admitted on the store-wide bound alone and not released yet. Such an
   * add is held here, not per counter: an exact read observed while some are in flight may
   * miss any of them, so what it makes known is widened by all of them (observe). Holding each
   * in `inflight` was a map entry, an object and two bigints per item of a bulk write over new
   * counters, which nothing but that observe looked at.
   */
  private boundInflight = 0n;
  /** Clears of counters not known admitted on the bound alone and released. */
  private boundClears = 0;
  /** A bound was given: adds admitted on it alone may still be released unseen (see mark). */
  private readonly boundGiven: boolean;

  /**
   * Only admit and observe (a write, a read of the counter) count as a use of what is known of
   * it. `bound`: Store.countBound, only for a store no other process writes to.
   */
  constructor(
    maxCounters: number,
    private bound?: bigint,
  ) {
    this.known = new ClockMap(maxCounters);
    this.boundGiven = bound !== undefined;
  }

  /** Adds the admitted add's magnitude to the bound; once that reaches 2^62 it is dropped for good (every counter judged on its own). */
  private grow(delta: bigint): void {
    if (this.bound === undefined) return;
    this.bound += abs(delta);
    if (this.bound >= NEAR_EDGE) this.bound = undefined;
  }

  /** Whether an add of `delta` to any counter is safe on the store-wide bound alone. */
  private boundAdmits(delta: bigint): boolean {
    return this.bound !== undefined && this.bound + abs(delta) < NEAR_EDGE;
  }

  /**
   * Forgets what it knows of the namespace's counters (deleteNamespace): a re-created
   * namespace of the name starts from zero, which a kept estimate would misjudge. Adds in
   * flight keep their holds until released.
   */
  forgetNamespace(namespace: string): void {
    const prefix = `${namespace}\u0000`;
    for (const key of [...this.known.keys()]) if (key.startsWith(prefix)) this.known.delete(key);
  }

  /** A mark to take before an exact read of the counter, for `observe`. */
  mark(ref: CounterRef, key = counterKey(ref)): Mark | undefined {
    const k = this.known.peek(key);
    if (k === undefined) return this.boundGiven ? { releasedPos: 0n, releasedNeg: 0n, clearsReleased: 0, unknownAt: this.boundReleased, unknownClears: this.boundClears } : undefined;
    return { releasedPos: k.releasedPos, releasedNeg: k.releasedNeg, clearsReleased: k.clearsReleased };
  }

  /**
   * An exact count of the counter, read after `at.mark` was taken (without `at`: as of now,
   * with no clear known). The adds released since the mark may or may not be in it, so they
   * stay around it as bounds; the adds still in flight are held apart (and widen the bounds
   * once stored). A clear released since, or in flight, leaves the count either world's: the
   * bounds then only widen.
   */
  observe(ref: CounterRef, exact: bigint, at?: Observation, key = counterKey(ref)): void {
    const k = this.known.get(key);
    const clearUs = at?.clearUs ?? -Infinity;
    if (k === undefined) {
      // A release it may miss is forgotten; and an entry made while an add is held would not
      // be the one that add's release moves (Ticket.known).
      if (this.inflight.has(key)) return;
      // Adds admitted on the bound alone and released since the read began may be missing from
      // it, and so may those still in flight (to this counter or another: they widen it); a
      // clear so released leaves it either world's (it stays unknown).
      const m = at?.mark;
      if (m?.unknownAt !== undefined && m.unknownClears !== this.boundClears) return;
      // Known when the read began and evicted since: adds admitted on the bound alone since
      // then are not counted in the mark, so the read may miss some (it stays unknown).
      if (this.boundGiven && m !== undefined && m.unknownAt === undefined) return;
      const slack = (m?.unknownAt === undefined ? 0n : this.boundReleased - m.unknownAt) + this.boundInflight;
      this.known.set(key, { lo: exact - slack, hi: exact + slack, clearUs, epoch: 0, releasedPos: 0n, releasedNeg: 0n, clearsReleased: 0, clears: 0, used: false });
      return;
    }
    k.clearUs = Math.max(k.clearUs, clearUs);
    k.epoch++;
    const m = at === undefined ? this.mark(ref, key)! : at.mark;
    if (m === undefined || m.unknownAt !== undefined || m.clearsReleased !== k.clearsReleased || k.clears > 0) {
      k.lo = min(k.lo, exact);
      k.hi = max(k.hi, exact);
    } else {
      k.lo = exact + (k.releasedNeg - m.releasedNeg);
      k.hi = exact + (k.releasedPos - m.releasedPos);
    }
  }

  /**
   * A count from the roll-up. When its read began is unknown, so it cannot narrow what is
   * known (it may miss adds stored here since): it only seeds a counter of which nothing is
   * known and nothing is in flight, and never with the store-wide bound on (adds admitted on
   * it to a counter not known are released unseen, and one may be missing from the count).
   */
  observeRolledUp(ref: CounterRef, exact: bigint, key = counterKey(ref)): void {
    if (this.boundGiven || this.known.has(key) || this.inflight.has(key)) return;
    this.observe(ref, exact, undefined, key);
  }

  /** Whether the write can only be judged after an exact read of its counter. */
  needsExactBase(event: CounterEvent, key = counterKey(event)): boolean {
    const k = this.known.peek(key);
    if (k === undefined && this.boundAdmits(event.delta)) return false;
    const f = this.inflight.get(key);
    return k === undefined || near(k.lo) || near(k.hi) || near(event.delta) || (f !== undefined && (near(f.pos) || near(f.neg)));
  }

  /**
   * Throws COUNT_OVERFLOW when the add could leave the range, else holds its delta until
   * `release` of the ticket (call it once the append has finished, whatever its outcome).
   */
  admit(ns: NamespaceConfig, event: CounterEvent, key = counterKey(event)): Ticket {
    const k = this.known.get(key);
    const d = event.delta;
    if (k === undefined) {
      if (!this.boundAdmits(d)) throw unavailable(new Error('the overflow check lost its base; retry'));
      // Held store-wide (boundInflight): an exact read of the counter meanwhile is widened by it.
      this.grow(d);
      this.boundInflight += abs(d);
      return { event, key, known: undefined, epoch: 0, void: false };
    }
    if (event.timeUs <= k.clearUs) return { event, key, known: k, epoch: k.epoch, void: true };
    const f = this.inflight.get(key);
    if (!inInt64(k.hi + (f?.pos ?? 0n) + max(d, 0n)) || !inInt64(k.lo + (f?.neg ?? 0n) + min(d, 0n))) {
      throw new CounterError(
        ErrorCode.CountOverflow,
        `adding ${d} to ${ns.name}/${event.name} (count ${k.lo === k.hi ? k.lo : `${k.lo}..${k.hi}`}) would leave the signed 64-bit range`,
        { namespace: ns.name, name: event.name },
      );
    }
    this.grow(d);
    this.hold(key, d, true);
    return { event, key, known: k, epoch: k.epoch, void: false };
  }

  /**
   * The admitted add's append finished: `applied` true when it was stored (not a retry),
   * false when it was a retry or not stored, undefined when stored without looking for an
   * earlier copy (the client did not ask): then it may or may not have counted before, so it
   * only widens the bounds.
   */
  release(ticket: Ticket, applied: boolean | undefined): void {
    const { event, key, known: k } = ticket;
    if (k === undefined) {
      const m = abs(event.delta);
      this.boundInflight -= m;
      this.boundReleased += m;
      return;
    }
    if (!ticket.void) this.hold(key, event.delta, false);
    if (applied === false || event.timeUs <= k.clearUs) return;
    const d = event.delta;
    if (d > 0n) k.releasedPos += d;
    else k.releasedNeg += d;
    if (applied && ticket.epoch === k.epoch && k.clears === 0) {
      k.lo += d;
      k.hi += d;
    } else {
      k.lo += min(d, 0n);
      k.hi += max(d, 0n);
    }
  }

  /**
   * Throws COUNT_OVERFLOW when the clear would leave the range: `after` is the sum of the
   * counter's stored events generated after the clear (what it would leave), read after the
   * counter's exact count was observed. Else holds it until `releaseClear`.
   */
  admitClear(ns: NamespaceConfig, event: CounterEvent, after: bigint): Ticket {
    const key = counterKey(event);
    const k = this.known.get(key);
    // On the bound: what the clear leaves (stored adds after it, and those in flight) is within it.
    if (k === undefined && this.bound !== undefined) return { event, key, known: undefined, epoch: 0, void: false };
    if (k === undefined) throw unavailable(new Error('the overflow check lost its base; retry'));
    if (event.timeUs <= k.clearUs) return { event, key, known: k, epoch: k.epoch, void: true }; // covered by a newer clear: changes nothing
    const f = this.inflight.get(key) ?? { pos: 0n, neg: 0n };
    if (!inInt64(after + f.pos) || !inInt64(after + f.neg)) {
      throw new CounterError(
        ErrorCode.CountOverflow,
        `clearing ${ns.name}/${event.name} as of ${new Date(event.timeUs / 1000).toISOString()} would leave the count of the writes after it (${after}) outside the signed 64-bit range`,
        { namespace: ns.name, name: event.name },
      );
    }
    k.lo = min(k.lo, after);
    k.hi = max(k.hi, after);
    k.clears++;
    k.epoch++;
    return { event, key, known: k, epoch: k.epoch, void: false };
  }

  /** The admitted clear's append finished; `applied` when it was stored. */
  releaseClear(ticket: Ticket, applied: boolean): void {
    if (ticket.known === undefined) {
      if (!ticket.void) this.boundClears++;
      return;
    }
    const k = this.known.peek(ticket.key);
    if (ticket.void || k === undefined) return;
    k.clears = Math.max(0, k.clears - 1);
    k.clearsReleased++;
    if (applied) k.clearUs = Math.max(k.clearUs, ticket.event.timeUs);
  }

  /**
   * What is known of a counter (tests, diagnostics): the count stored so far is within
   * [lo + neg, hi + pos], neg and pos being the adds in flight.
   */
  bounds(ref: CounterRef): { lo: bigint; hi: bigint; pos: bigint; neg: bigint } | undefined {
    const key = counterKey(ref);
    const k = this.known.peek(key);
    const f = this.inflight.get(key) ?? { pos: 0n, neg: 0n };
    return k && { lo: k.lo, hi: k.hi, pos: f.pos, neg: f.neg };
  }

  /** Holds (`add`) or frees an add's delta. (No multiplication by a sign: each bigint operation allocates.) */
  private hold(key: string, delta: bigint, add: boolean): void {
    let f = this.inflight.get(key);
    if (f === undefined) {
      if (delta === 0n) return;
      this.inflight.set(key, (f = { pos: 0n, neg: 0n }));
    }
    if (delta > 0n) f.pos = add ? f.pos + delta : f.pos - delta;
    else f.neg = add ? f.neg + delta : f.neg - delta;
    if (f.pos === 0n && f.neg === 0n) this.inflight.delete(key);
  }
}
