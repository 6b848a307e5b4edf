import { applyWindow, clamp, fold } from '../../../rollup/fold';
import { INT64_MAX, INT64_MIN } from '../../../src/model';
import type { CounterSnapshot, WindowSummary } from '../../../src/store/types';

const w = (sum: bigint, events: number, clearUs: number | null = null): WindowSummary => ({ clearUs, sum, events });
const EMPTY = w(0n, 0);

function snap(p: {
  count?: bigint;
  checkpointUs?: number;
  lastWriteUs?: number;
  settled?: WindowSummary;
  tail?: WindowSummary;
  settleUs: number;
}): CounterSnapshot {
  return {
    checkpoint: { count: p.count ?? 0n, checkpointUs: p.checkpointUs ?? 0, lastWriteUs: p.lastWriteUs ?? 0 },
    settled: p.settled ?? EMPTY,
    tail: p.tail ?? EMPTY,
    settleUs: p.settleUs,
  };
}

describe('applyWindow', () => {
  it('adds a window without a clear to the base', () => {
    expect(applyWindow(10n, w(5n, 2))).toBe(15n);
    expect(applyWindow(10n, w(-15n, 1))).toBe(-5n);
    expect(applyWindow(7n, EMPTY)).toBe(7n);
  });

  it('replaces the base by the sum after the clear when the window holds one', () => {
    expect(applyWindow(10n, w(3n, 2, 100))).toBe(3n);
    expect(applyWindow(-99n, w(0n, 1, 100))).toBe(0n);
  });
});

describe('fold', () => {
  it('an untouched counter is its checkpoint and does not move', () => {
    const f = fold(snap({ count: 42n, checkpointUs: 1000, lastWriteUs: 900, settleUs: 5000 }));
    expect(f).toEqual({ exact: 42n, checkpoint: null });
  });

  it('exact = checkpoint + settled + tail; the checkpoint absorbs only the settled part', () => {
    const f = fold(
      snap({ count: 10n, checkpointUs: 1000, lastWriteUs: 9000, settled: w(5n, 2), tail: w(7n, 3), settleUs: 5000 }),
    );
    expect(f.exact).toBe(22n);
    expect(f.checkpoint).toEqual({ count: 15n, checkpointUs: 5000 });
  });

  it('a clear in the tail zeroes the checkpoint and settled events for the exact count, but not the checkpoint', () => {
    const f = fold(
      snap({ count: 10n, checkpointUs: 1000, lastWriteUs: 9000, settled: w(5n, 1), tail: w(2n, 2, 8000), settleUs: 5000 }),
    );
    expect(f.exact).toBe(2n);
    expect(f.checkpoint).toEqual({ count: 15n, checkpointUs: 5000 });
  });

  it('a clear in the settled window resets the checkpoint count', () => {
    const f = fold(snap({ count: 100n, checkpointUs: 1000, lastWriteUs: 4000, settled: w(4n, 3, 2000), settleUs: 5000 }));
    expect(f.exact).toBe(4n);
    expect(f.checkpoint).toEqual({ count: 4n, checkpointUs: 5000 });
  });

  it('does not move the checkpoint while nothing settled and writes are still in the tail', () => {
    const f = fold(snap({ count: 1n, checkpointUs: 1000, lastWriteUs: 9000, tail: w(3n, 1), settleUs: 5000 }));
    expect(f.exact).toBe(4n);
    expect(f.checkpoint).toBeNull();
  });

  it('moves the checkpoint past the last write once it settled, even with an empty window (stops pending)', () => {
    const f = fold(snap({ count: 1n, checkpointUs: 1000, lastWriteUs: 4000, settleUs: 5000 }));
    expect(f.checkpoint).toEqual({ count: 1n, checkpointUs: 5000 });
  });

  it('never moves the checkpoint backwards', () => {
    const f = fold(snap({ count: 1n, checkpointUs: 6000, lastWriteUs: 9000, tail: w(1n, 1), settleUs: 5000 }));
    expect(f.checkpoint).toBeNull();
    expect(f.exact).toBe(2n);
  });

  it('keeps values beyond 2^53 exact', () => {
    const big = 9007199254740993n;
    const f = fold(snap({ count: big, checkpointUs: 1, lastWriteUs: 9000, settled: w(2n, 1), tail: w(big, 1), settleUs: 5000 }));
    expect(f.exact).toBe(2n * big + 2n);
    expect(f.checkpoint!.count).toBe(big + 2n);
  });

  it('saturates instead of wrapping when concurrent writers pushed the sum out of range', () => {
    const f = fold(snap({ count: INT64_MAX, checkpointUs: 1, lastWriteUs: 9000, settled: w(5n, 1), tail: w(5n, 1), settleUs: 5000 }));
    expect(f.exact).toBe(INT64_MAX);
    expect(f.checkpoint!.count).toBe(INT64_MAX);
  });
});

describe('clamp', () => {
  it('bounds to the signed 64-bit range', () => {
    expect(clamp(INT64_MAX + 1n)).toBe(INT64_MAX);
    expect(clamp(INT64_MIN - 1n)).toBe(INT64_MIN);
    expect(clamp(-3n)).toBe(-3n);
  });
});

describe('fold with a minimum checkpoint step', () => {
  const STEP = 1_000_000;

  it('does not move a busy counter by less than the step', () => {
    // Settled events exist, but the last write is still in the tail and the window is short.
    const f = fold(snap({ count: 5n, checkpointUs: 10_000_000, lastWriteUs: 20_000_000, settled: w(3n, 2), tail: w(4n, 1), settleUs: 10_500_000 }), STEP);
    expect(f).toEqual({ exact: 12n, checkpoint: null });
  });

  it('moves a busy counter once the step is reached', () => {
    const f = fold(snap({ count: 5n, checkpointUs: 10_000_000, lastWriteUs: 20_000_000, settled: w(3n, 2), tail: w(4n, 1), settleUs: 11_000_000 }), STEP);
    expect(f).toEqual({ exact: 12n, checkpoint: { count: 8n, checkpointUs: 11_000_000 } });
  });

  it('always moves when it absorbs the last write, however short the step', () => {
    const f = fold(snap({ count: 5n, checkpointUs: 10_000_000, lastWriteUs: 10_100_000, settled: w(3n, 2), settleUs: 10_200_000 }), STEP);
    expect(f).toEqual({ exact: 8n, checkpoint: { count: 8n, checkpointUs: 10_200_000 } });
  });
});

describe('applyWindow edge cases', () => {
  it('a clear with nothing after it leaves zero whatever the base', () => {
    expect(applyWindow(INT64_MAX, w(0n, 1, 5))).toBe(0n);
    expect(applyWindow(INT64_MIN, w(0n, 1, 5))).toBe(0n);
  });

  it('a clear followed by a negative sum leaves that sum', () => {
    expect(applyWindow(50n, w(-7n, 3, 5))).toBe(-7n);
  });

  it('a clear at time 0 is a clear (not mistaken for "no clear")', () => {
    expect(applyWindow(10n, w(1n, 2, 0))).toBe(1n);
  });
});

describe('fold edge cases', () => {
  it('does not move when the settle boundary equals the checkpoint', () => {
    const f = fold(snap({ count: 3n, checkpointUs: 5000, lastWriteUs: 9000, tail: w(2n, 1), settleUs: 5000 }));
    expect(f).toEqual({ exact: 5n, checkpoint: null });
  });

  it('does not move a counter with no write past its checkpoint, however far the boundary', () => {
    const f = fold(snap({ count: 3n, checkpointUs: 5000, lastWriteUs: 5000, settleUs: 1_000_000 }));
    expect(f).toEqual({ exact: 3n, checkpoint: null });
  });

  it('absorbs a last write exactly at the settle boundary', () => {
    const f = fold(snap({ count: 1n, checkpointUs: 1000, lastWriteUs: 5000, settled: w(4n, 1), settleUs: 5000 }));
    expect(f.checkpoint).toEqual({ count: 5n, checkpointUs: 5000 });
  });

  it('a clear in both windows: the tail\'s clear wins for the exact count, the settled one for the checkpoint', () => {
    const f = fold(
      snap({ count: 10n, checkpointUs: 1000, lastWriteUs: 9000, settled: w(6n, 2, 2000), tail: w(1n, 2, 7000), settleUs: 5000 }),
    );
    expect(f.exact).toBe(1n);
    expect(f.checkpoint).toEqual({ count: 6n, checkpointUs: 5000 });
  });

  it('saturates at the lower bound too, in the exact count and the checkpoint', () => {
    const f = fold(snap({ count: INT64_MIN, checkpointUs: 1, lastWriteUs: 9000, settled: w(-1n, 1), tail: w(-1n, 1), settleUs: 5000 }));
    expect(f.exact).toBe(INT64_MIN);
    expect(f.checkpoint!.count).toBe(INT64_MIN);
  });

  it('a sum back inside the range after an overflowing settled window is exact (only the results are clamped)', () => {
    const f = fold(snap({ count: INT64_MAX, checkpointUs: 1, lastWriteUs: 9000, settled: w(10n, 1), tail: w(-20n, 1), settleUs: 5000 }));
    expect(f.exact).toBe(INT64_MAX - 10n);
    expect(f.checkpoint!.count).toBe(INT64_MAX);
  });

  it('with a step: does not move one microsecond short of it', () => {
    const f = fold(snap({ count: 0n, checkpointUs: 1_000_000, lastWriteUs: 9_000_000, settled: w(1n, 1), tail: w(1n, 1), settleUs: 1_999_999 }), 1_000_000);
    expect(f.checkpoint).toBeNull();
    expect(f.exact).toBe(2n);
  });

  it('with a step: a busy counter whose settled window is empty does not move even past the step', () => {
    const f = fold(snap({ count: 4n, checkpointUs: 1_000_000, lastWriteUs: 9_000_000, tail: w(1n, 1), settleUs: 5_000_000 }), 1_000_000);
    expect(f).toEqual({ exact: 5n, checkpoint: null });
  });

  it('is independent of the step when nothing is pending', () => {
    const s = snap({ count: 4n, checkpointUs: 1_000_000, lastWriteUs: 500_000, settleUs: 5_000_000 });
    expect(fold(s, 0)).toEqual(fold(s, 10_000_000));
    expect(fold(s).checkpoint).toBeNull();
  });
});

describe('clamp edge cases', () => {
  it('leaves the bounds themselves and zero unchanged', () => {
    expect(clamp(INT64_MAX)).toBe(INT64_MAX);
    expect(clamp(INT64_MIN)).toBe(INT64_MIN);
    expect(clamp(0n)).toBe(0n);
  });

  it('saturates values far outside the range', () => {
    expect(clamp(1n << 200n)).toBe(INT64_MAX);
    expect(clamp(-(1n << 200n))).toBe(INT64_MIN);
  });
});
