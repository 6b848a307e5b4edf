import { CounterError } from '../../../../src/errors';
import { OverflowGuard } from '../../../../src/counters/overflowGuard';
import { INT64_MAX, INT64_MIN, type CounterEvent } from '../../../../src/model';
import { nsConfig } from '../../fakes';

const ns = nsConfig('ev', 'EVENTUAL');
const EDGE = 1n << 62n;
const ref = (name = 'a') => ({ namespace: 'ev', name });
let seq = 0;
const ev = (delta: bigint, name = 'a'): CounterEvent => ({ namespace: 'ev', name, timeUs: 1, eventId: `t${seq++}`, clear: false, delta });

function refusal(fn: () => void): CounterError {
  try {
    fn();
  } catch (err) {
    return err as CounterError;
  }
  throw new Error('expected a refusal');
}

describe('OverflowGuard.needsExactBase', () => {
  it('is true for a counter it knows nothing of', () => {
    expect(new OverflowGuard(10).needsExactBase(ev(1n))).toBe(true);
  });

  it('is false once an exact value far from the edges was observed', () => {
    const g = new OverflowGuard(10);
    g.observe(ref(), 1000n);
    expect(g.needsExactBase(ev(1n))).toBe(false);
    expect(g.needsExactBase(ev(-(EDGE - 1n)))).toBe(false);
    expect(g.needsExactBase(ev(1n, 'other'))).toBe(true);
  });

  it('is true when the known value is near either edge (|v| >= 2^62)', () => {
    const g = new OverflowGuard(10);
    g.observe(ref('hi'), EDGE);
    g.observe(ref('lo'), -EDGE);
    g.observe(ref('under'), EDGE - 1n);
    expect(g.needsExactBase(ev(1n, 'hi'))).toBe(true);
    expect(g.needsExactBase(ev(1n, 'lo'))).toBe(true);
    expect(g.needsExactBase(ev(1n, 'under'))).toBe(false);
  });

  it('is true for a delta near either edge', () => {
    const g = new OverflowGuard(10);
    g.observe(ref(), 0n);
    expect(g.needsExactBase(ev(EDGE))).toBe(true);
    expect(g.needsExactBase(ev(-EDGE))).toBe(true);
    expect(g.needsExactBase(ev(EDGE - 1n))).toBe(false);
  });

  it('is true while the adds in flight sum near an edge, and false again once released', () => {
    const g = new OverflowGuard(10);
    g.observe(ref(), 0n);
    const e1 = ev(EDGE / 2n);
    const e2 = ev(EDGE / 2n);
    const t1 = g.admit(ns, e1);
    expect(g.needsExactBase(ev(1n))).toBe(false);
    const t2 = g.admit(ns, e2);
    expect(g.needsExactBase(ev(1n))).toBe(true);
    g.release(t1, false);
    g.release(t2, false);
    expect(g.needsExactBase(ev(1n))).toBe(false);
  });

  it('forgets the least recently used counters past maxCounters', () => {
    const g = new OverflowGuard(2);
    g.observe(ref('a'), 1n);
    g.observe(ref('b'), 1n);
    g.observe(ref('c'), 1n);
    expect(g.needsExactBase(ev(1n, 'a'))).toBe(true);
    expect(g.needsExactBase(ev(1n, 'c'))).toBe(false);
  });
});

describe('OverflowGuard.admit', () => {
  it('admits adds that land exactly on either edge', () => {
    const g = new OverflowGuard(10);
    g.observe(ref('hi'), INT64_MAX - 5n);
    g.observe(ref('lo'), INT64_MIN + 5n);
    expect(() => g.admit(ns, ev(5n, 'hi'))).not.toThrow();
    expect(() => g.admit(ns, ev(-5n, 'lo'))).not.toThrow();
  });

  it('refuses COUNT_OVERFLOW past the top, naming the counter', () => {
    const g = new OverflowGuard(10);
    g.observe(ref(), INT64_MAX - 5n);
    const err = refusal(() => g.admit(ns, ev(6n)));
    expect(err).toBeInstanceOf(CounterError);
    expect(err.code).toBe('COUNT_OVERFLOW');
    expect(err.extensions).toMatchObject({ code: 'COUNT_OVERFLOW', namespace: 'ev', name: 'a' });
    expect(err.message).toContain(`count ${INT64_MAX - 5n}`);
  });

  it('refuses COUNT_OVERFLOW past the bottom', () => {
    const g = new OverflowGuard(10);
    g.observe(ref(), INT64_MIN + 5n);
    expect(refusal(() => g.admit(ns, ev(-6n))).code).toBe('COUNT_OVERFLOW');
  });

  it('refuses UNAVAILABLE (retry) for a counter it knows nothing of (callers read it first: see needsExactBase)', () => {
    const g = new OverflowGuard(10);
    expect(refusal(() => g.admit(ns, ev(1n))).code).toBe('UNAVAILABLE');
  });

  it('counts positive adds in flight: two that fit alone cannot together pass the top', () => {
    const g = new OverflowGuard(10);
    g.observe(ref(), INT64_MAX - 10n);
    g.admit(ns, ev(6n));
    expect(refusal(() => g.admit(ns, ev(5n))).code).toBe('COUNT_OVERFLOW');
    expect(() => g.admit(ns, ev(4n))).not.toThrow();
  });

  it('counts negative adds in flight towards the bottom', () => {
    const g = new OverflowGuard(10);
    g.observe(ref(), INT64_MIN + 10n);
    g.admit(ns, ev(-6n));
    expect(refusal(() => g.admit(ns, ev(-5n))).code).toBe('COUNT_OVERFLOW');
  });

  it('does not let an add in flight in one direction make room in the other (it may still fail)', () => {
    const g = new OverflowGuard(10);
    g.observe(ref(), INT64_MAX - 10n);
    g.admit(ns, ev(-100n)); // not stored yet
    expect(refusal(() => g.admit(ns, ev(11n))).code).toBe('COUNT_OVERFLOW');
  });

  it('refuses an add that fits the base but not with the opposite adds in flight', () => {
    const g = new OverflowGuard(10);
    g.observe(ref(), INT64_MIN + 10n);
    g.admit(ns, ev(100n));
    // base + pos + delta is in range, base + neg + delta is not
    expect(refusal(() => g.admit(ns, ev(-11n))).code).toBe('COUNT_OVERFLOW');
  });

  it('holds nothing for a refused add', () => {
    const g = new OverflowGuard(10);
    g.observe(ref(), INT64_MAX - 10n);
    refusal(() => g.admit(ns, ev(11n)));
    expect(() => g.admit(ns, ev(10n))).not.toThrow();
  });

  it('keeps counters apart', () => {
    const g = new OverflowGuard(10);
    g.observe(ref('a'), INT64_MAX);
    g.observe(ref('b'), 0n);
    expect(() => g.admit(ns, ev(1n, 'b'))).not.toThrow();
    expect(refusal(() => g.admit(ns, ev(1n, 'a'))).code).toBe('COUNT_OVERFLOW');
  });
});

describe('OverflowGuard.release', () => {
  it('applied: adds the delta to the known value and frees the hold', () => {
    const g = new OverflowGuard(10);
    g.observe(ref(), INT64_MAX - 10n);
    const e = ev(10n);
    g.release(g.admit(ns, e), true);
    // now at INT64_MAX exactly: nothing more fits, a negative add does
    expect(refusal(() => g.admit(ns, ev(1n))).code).toBe('COUNT_OVERFLOW');
    expect(() => g.admit(ns, ev(-1n))).not.toThrow();
  });

  it('not applied (a retry, or a failed append): frees the hold, the known value stays', () => {
    const g = new OverflowGuard(10);
    g.observe(ref(), INT64_MAX - 10n);
    const e = ev(10n);
    g.release(g.admit(ns, e), false);
    expect(() => g.admit(ns, ev(10n))).not.toThrow();
  });

  it('unknown (stored without looking for an earlier copy): widens the bounds by the delta, both ways kept', () => {
    const g = new OverflowGuard(10);
    g.observe(ref(), 100n);
    g.release(g.admit(ns, ev(10n)), undefined);
    // a retry (the count stays 100) or a first write (110): the bounds hold both
    expect(g.bounds(ref())).toMatchObject({ lo: 100n, hi: 110n });
    g.release(g.admit(ns, ev(-30n)), undefined);
    expect(g.bounds(ref())).toMatchObject({ lo: 70n, hi: 110n });
    // checked against both ends: an add that fits only if the retries did not count is refused
    g.observe(ref(), INT64_MAX - 10n);
    g.release(g.admit(ns, ev(10n)), undefined);
    expect(refusal(() => g.admit(ns, ev(1n))).code).toBe('COUNT_OVERFLOW');
  });

  it('a later observe replaces what applied adds built up', () => {
    const g = new OverflowGuard(10);
    g.observe(ref(), 0n);
    const e = ev(INT64_MAX);
    g.release(g.admit(ns, e), true);
    g.observe(ref(), 0n);
    expect(() => g.admit(ns, ev(INT64_MAX))).not.toThrow();
  });
});

describe('OverflowGuard.forgetNamespace', () => {
  it("forgets every counter of the namespace (a re-created one starts at zero), and only those", () => {
    const g = new OverflowGuard(10);
    g.observe(ref('a'), INT64_MAX - 1n);
    g.observe(ref('b'), 5n);
    const other = { namespace: 'ev2', name: 'a' };
    g.observe(other, 5n);
    g.forgetNamespace('ev');
    expect(g.bounds(ref('a'))).toBeUndefined();
    expect(g.needsExactBase(ev(1n, 'a'))).toBe(true);
    expect(g.needsExactBase(ev(1n, 'b'))).toBe(true);
    expect(g.bounds(other)).toMatchObject({ lo: 5n, hi: 5n });
  });
});

describe('OverflowGuard with a store-wide bound (a store only this process writes to)', () => {
  it('admits an add to a counter it knows nothing of without an exact base while bound + |delta| < 2^62', () => {
    const g = new OverflowGuard(10, 1000n);
    expect(g.needsExactBase(ev(5n, 'new'))).toBe(false);
    const t = g.admit(ns, ev(5n, 'new'));
    expect(t.known).toBeUndefined();
    g.release(t, true);
    expect(g.bounds(ref('new'))).toBeUndefined(); // nothing kept per counter
    expect(g.needsExactBase(ev(EDGE - 1000n - 5n, 'new'))).toBe(true); // the bound is 1005 now
    expect(g.needsExactBase(ev(EDGE - 1000n - 6n, 'new'))).toBe(false);
  });

  it('grows the bound by every add admitted, to known counters too, stored or not', () => {
    const g = new OverflowGuard(10, 0n);
    g.observe(ref('k'), 0n);
    g.release(g.admit(ns, ev(-(EDGE / 2n), 'k')), false);
    expect(g.needsExactBase(ev(EDGE / 2n - 1n, 'new'))).toBe(false);
    expect(g.needsExactBase(ev(EDGE / 2n, 'new'))).toBe(true);
    expect(() => g.admit(ns, ev(EDGE / 2n, 'new'))).toThrow(CounterError); // UNAVAILABLE: read it first
  });

  it('without a bound, or past it, needs the exact base as before', () => {
    expect(new OverflowGuard(10).needsExactBase(ev(1n))).toBe(true);
    expect(new OverflowGuard(10, EDGE - 1n).needsExactBase(ev(1n))).toBe(true);
  });

  it('widens a counter first read while adds admitted on the bound were released by what they could have missed', () => {
    const g = new OverflowGuard(10, 0n);
    const m = g.mark(ref('x'));
    g.release(g.admit(ns, ev(7n, 'x')), true); // stored while the read ran: maybe not in it
    g.observe(ref('x'), 100n, { mark: m, clearUs: null });
    expect(g.bounds(ref('x'))).toEqual({ lo: 93n, hi: 107n, pos: 0n, neg: 0n });
  });

  it('admits a clear of a counter it knows nothing of on the bound; a read that raced its release leaves the counter unknown', () => {
    const g = new OverflowGuard(10, 0n);
    const m = g.mark(ref('c'));
    const t = g.admitClear(ns, { ...ev(0n, 'c'), clear: true }, 5n);
    expect(t.known).toBeUndefined();
    g.releaseClear(t, true);
    g.observe(ref('c'), 100n, { mark: m, clearUs: null });
    expect(g.bounds(ref('c'))).toBeUndefined();
    g.observe(ref('c'), 5n, { mark: g.mark(ref('c')), clearUs: 1 });
    expect(g.bounds(ref('c'))).toEqual({ lo: 5n, hi: 5n, pos: 0n, neg: 0n });
  });

  it('drops the bound for good once it reaches 2^62: counters are judged on their own again', () => {
    const g = new OverflowGuard(10, EDGE - 10n);
    g.release(g.admit(ns, ev(5n, 'x')), true);
    expect(g.needsExactBase(ev(1n, 'y'))).toBe(false);
    g.observe(ref('k'), 0n);
    g.release(g.admit(ns, ev(20n, 'k')), true); // a known counter's add: the bound passes 2^62
    expect(g.needsExactBase(ev(1n, 'y'))).toBe(true);
    expect(g.needsExactBase(ev(1n, 'k'))).toBe(false);
  });

  it('widens a counter read while adds admitted on the bound are in flight by all of them, and never seeds one from a roll-up', () => {
    const g = new OverflowGuard(10, 0n);
    const t = g.admit(ns, ev(3n, 'x'));
    const other = g.admit(ns, ev(-2n, 'y')); // in flight too: the guard cannot tell whose
    g.observe(ref('x'), 3n, { mark: g.mark(ref('x')), clearUs: null });
    expect(g.bounds(ref('x'))).toEqual({ lo: -2n, hi: 8n, pos: 0n, neg: 0n });
    g.release(t, true); // in the read or not: within the bounds either way
    g.release(other, true);
    expect(g.bounds(ref('x'))).toEqual({ lo: -2n, hi: 8n, pos: 0n, neg: 0n });
    g.observeRolledUp(ref('z'), 3n);
    expect(g.bounds(ref('z'))).toBeUndefined();
  });

  it('leaves a counter unknown when it was known as its read began and forgotten before the read ended', () => {
    const g = new OverflowGuard(1, 0n);
    g.observe(ref('x'), 0n, { mark: g.mark(ref('x')), clearUs: null });
    const m = g.mark(ref('x')); // a mark of what is known of x
    g.observe(ref('y'), 0n, { mark: g.mark(ref('y')), clearUs: null }); // evicts x (one entry)
    g.release(g.admit(ns, ev(4n, 'x')), true); // on the bound: x is unknown now
    g.observe(ref('x'), 0n, { mark: m, clearUs: null }); // may have missed that add
    expect(g.bounds(ref('x'))).toBeUndefined();
  });
});
