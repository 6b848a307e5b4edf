import fc from 'fast-check';
import { countAfterClear, fold, newestClearUs } from '../../../../rollup/fold';
import { OverflowGuard, type Mark, type Ticket } from '../../../../src/counters/overflowGuard';
import { CounterError } from '../../../../src/errors';
import { INT64_MAX, INT64_MIN, inInt64, type CounterEvent } from '../../../../src/model';
import type { CounterSnapshot, WindowSummary } from '../../../../src/store/types';
import { nsConfig } from '../../fakes';

/**
 * The invariant of the contract's "Semantics" around clears, over the pure logic the
 * durable path runs (the guard and the fold), with writes landing out of time order and
 * reads racing with them: every write the guard admits keeps the stored count (the exact sum
 * of the adds after the newest clear, unclamped) inside the 64-bit range, so the fold never
 * saturates; and what the guard believes always holds the stored count.
 */

const ns = nsConfig('ev', 'EVENTUAL');
const ref = { namespace: 'ev', name: 'c' };

/** The events stored for the counter, reduced as a store does (see WindowSummary). */
function summarize(events: CounterEvent[], afterUs = -Infinity): WindowSummary {
  const inRange = events.filter((e) => e.timeUs > afterUs);
  const clears = inRange.filter((e) => e.clear).map((e) => e.timeUs);
  const clearUs = clears.length > 0 ? Math.max(...clears) : null;
  const sum = inRange.filter((e) => !e.clear && (clearUs === null || e.timeUs > clearUs)).reduce((s, e) => s + e.delta, 0n);
  return { clearUs, sum, events: inRange.length };
}

/** A snapshot with everything in the tail: no checkpoint (times are all past it). */
function snapshot(events: CounterEvent[], settleUs = 0): CounterSnapshot {
  return {
    checkpoint: { count: 0n, checkpointUs: 0, lastWriteUs: 0 },
    settled: summarize(events.filter((e) => e.timeUs <= settleUs)),
    tail: summarize(events, settleUs),
    settleUs,
  };
}

const stored = (events: CounterEvent[]): bigint => summarize(events).sum;

const BIG = [1n << 61n, (1n << 62n) - 1n, 1n << 62n, INT64_MAX, 3n, 1n];
const delta = fc.oneof(fc.constantFrom(...BIG), fc.constantFrom(...BIG).map((v) => -v), fc.constant(INT64_MIN));
const time = fc.integer({ min: 1, max: 12 });
const pick = fc.nat({ max: 1000 });
const action = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('add' as const), t: time, d: delta }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const), t: time }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('commit' as const), i: pick }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('release' as const), i: pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fail' as const), i: pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('startRead' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('takeRead' as const), i: pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deliverRead' as const), i: pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rolledUp' as const), i: pick }) },
);

function run(actions: unknown[]): void {
  const g = new OverflowGuard(100);
  const events: CounterEvent[] = [];
  const inflight: CounterEvent[] = []; // admitted, not stored
  const unreleased: CounterEvent[] = []; // stored, not released
  const reads: { mark: Mark | undefined; snap?: CounterSnapshot }[] = [];
  const history: bigint[] = [0n];
  let seq = 0;
  const take = <T>(list: T[], i: number): T | undefined => (list.length === 0 ? undefined : list.splice(i % list.length, 1)[0]);
  /** A read that sees the store as it is now (the caller's read before judging a write). */
  const readNow = (): void => {
    const mark = g.mark(ref);
    const s = snapshot(events);
    g.observe(ref, fold(s).exact, { mark, clearUs: newestClearUs(s) });
  };
  const tickets = new Map<CounterEvent, Ticket>(); // as DurableCounters keeps them
  const release = (e: CounterEvent, applied: boolean): void => {
    const t = tickets.get(e)!;
    tickets.delete(e);
    if (e.clear) g.releaseClear(t, applied);
    else g.release(t, applied);
  };

  for (const a of actions as unknown as Record<string, number | bigint | string>[]) {
    switch (a.kind) {
      case 'add': {
        const e: CounterEvent = { ...ref, timeUs: a.t as number, eventId: `e${seq++}`, clear: false, delta: a.d as bigint };
        if (g.needsExactBase(e)) readNow();
        try {
          tickets.set(e, g.admit(ns, e));
          inflight.push(e);
        } catch (err) {
          expect((err as CounterError).code).toBe('COUNT_OVERFLOW');
        }
        break;
      }
      case 'clear': {
        // As DurableCounters.clear: one read (settleUs = the clear's time), then the check.
        const e: CounterEvent = { ...ref, timeUs: a.t as number, eventId: `e${seq++}`, clear: true, delta: 0n };
        const mark = g.mark(ref);
        const s = snapshot(events, e.timeUs);
        g.observe(ref, fold(s).exact, { mark, clearUs: newestClearUs(s) });
        try {
          tickets.set(e, g.admitClear(ns, e, countAfterClear(s, e.timeUs)));
          inflight.push(e);
        } catch (err) {
          expect((err as CounterError).code).toBe('COUNT_OVERFLOW');
        }
        break;
      }
      case 'commit': {
        const e = take(inflight, a.i as number);
        if (e) {
          events.push(e);
          unreleased.push(e);
          history.push(stored(events));
        }
        break;
      }
      case 'release': {
        const e = take(unreleased, a.i as number);
        if (e) release(e, true);
        break;
      }
      case 'fail': {
        const e = take(inflight, a.i as number);
        if (e) release(e, false);
        break;
      }
      case 'startRead':
        reads.push({ mark: g.mark(ref) });
        break;
      case 'takeRead': {
        const r = reads.find((x) => x.snap === undefined);
        if (r) r.snap = snapshot(events);
        break;
      }
      case 'deliverRead': {
        const done = reads.filter((x) => x.snap !== undefined);
        const r = done[(a.i as number) % Math.max(1, done.length)];
        if (r) {
          reads.splice(reads.indexOf(r), 1);
          g.observe(ref, fold(r.snap!).exact, { mark: r.mark, clearUs: newestClearUs(r.snap!) });
        }
        break;
      }
      case 'rolledUp':
        g.observeRolledUp(ref, history[(a.i as number) % history.length]!);
        break;
    }
    const now = stored(events);
    // Every admitted write kept the stored count in range: the fold never has to saturate.
    expect(inInt64(now)).toBe(true);
    expect(fold(snapshot(events)).exact).toBe(now);
    const b = g.bounds(ref);
    if (b) {
      expect(b.lo + b.neg <= now && now <= b.hi + b.pos).toBe(true);
    }
  }
}

describe('OverflowGuard around clears (property)', () => {
  it('every admitted write keeps the count the exact in-range sum of the adds after the newest clear', () => {
    fc.assert(
      fc.property(fc.array(action, { minLength: 1, maxLength: 60 }), (actions) => run(actions)),
      { numRuns: 3000 },
    );
  });

  it('a read racing with a stored add keeps the add around it (it may or may not hold it)', () => {
    const actions = [
      { kind: 'add', t: 2, d: 3n },
      { kind: 'startRead' },
      { kind: 'add', t: 3, d: 5n },
      { kind: 'takeRead', i: 0 },
      { kind: 'commit', i: 0 },
      { kind: 'commit', i: 0 },
      { kind: 'release', i: 0 },
      { kind: 'release', i: 0 },
      { kind: 'deliverRead', i: 0 },
    ];
    run(actions);
    const g = new OverflowGuard(10);
    g.observe(ref, 0n);
    const e: CounterEvent = { ...ref, timeUs: 2, eventId: 'x', clear: false, delta: 5n };
    const mark = g.mark(ref);
    g.release(g.admit(ns, e), true); // stored after the read's snapshot: not in it
    g.observe(ref, 0n, { mark, clearUs: null });
    expect(g.bounds(ref)).toMatchObject({ lo: 0n, hi: 5n });
    // and a read with nothing racing makes them exact again (bounds do not only grow)
    g.observe(ref, 5n, { mark: g.mark(ref), clearUs: null });
    expect(g.bounds(ref)).toMatchObject({ lo: 5n, hi: 5n });
  });

  it('the case found: adds back-dated behind a clear do not make room for later adds', () => {
    const g = new OverflowGuard(100);
    const events: CounterEvent[] = [];
    const write = (e: CounterEvent): void => {
      if (g.needsExactBase(e)) {
        const s = snapshot(events);
        g.observe(ref, fold(s).exact, { mark: g.mark(ref), clearUs: newestClearUs(s) });
      }
      const t = g.admit(ns, e);
      events.push(e);
      g.release(t, true);
    };
    const clear: CounterEvent = { ...ref, timeUs: 10, eventId: 'clear', clear: true, delta: 0n };
    const s = snapshot(events, 10);
    g.observe(ref, fold(s).exact, { mark: g.mark(ref), clearUs: null });
    const t = g.admitClear(ns, clear, countAfterClear(s, 10));
    events.push(clear);
    g.releaseClear(t, true);
    const big = (1n << 62n) - 1n;
    write({ ...ref, timeUs: 5, eventId: 'b1', clear: false, delta: -(1n << 61n) });
    write({ ...ref, timeUs: 5, eventId: 'b2', clear: false, delta: -((1n << 61n) - 1n) });
    write({ ...ref, timeUs: 11, eventId: 'p1', clear: false, delta: big });
    write({ ...ref, timeUs: 11, eventId: 'p2', clear: false, delta: big });
    expect(() => write({ ...ref, timeUs: 11, eventId: 'p3', clear: false, delta: big })).toThrow(/64-bit range/);
    expect(stored(events)).toBe(2n * big);
  });

  it('a clear back-dated before adds already stored is refused when the adds after it leave the range', () => {
    const g = new OverflowGuard(100);
    const half = 1n << 62n;
    const events: CounterEvent[] = [
      { ...ref, timeUs: 2, eventId: 'n', clear: false, delta: -half },
      { ...ref, timeUs: 4, eventId: 'p1', clear: false, delta: half },
      { ...ref, timeUs: 6, eventId: 'p2', clear: false, delta: half },
    ];
    const s = snapshot(events, 3);
    g.observe(ref, fold(s).exact, { mark: g.mark(ref), clearUs: null });
    const clear: CounterEvent = { ...ref, timeUs: 3, eventId: 'c', clear: true, delta: 0n };
    expect(countAfterClear(s, 3)).toBe(2n * half);
    expect(() => g.admitClear(ns, clear, countAfterClear(s, 3))).toThrow(/64-bit range/);
  });
});
