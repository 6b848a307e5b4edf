import { CHECKPOINT_STEP_US, RollupJob, type RollupJobDeps } from '../../../rollup/job';
import { msToUs } from '../../../src/clock';
import type { CounterRef, NamespaceConfig } from '../../../src/model';
import type { CheckpointWrite, CounterSnapshot, SnapshotQuery } from '../../../src/store/types';
import { asMetrics, FakeConvergedCache, FakeNamespaces, fakeMetrics, FakePubSub, nsConfig, snapshot } from '../fakes';

const NOW = 1_700_000_000_000;
const SKEW = 1000;
const ev = nsConfig('ev', 'EVENTUAL', { acceptLimitMs: 5000 });
const acc = nsConfig('acc', 'ACCURATE', { acceptLimitMs: 2000 });
const be = nsConfig('be', 'BEST_EFFORT');
const r = (namespace: string, name: string): CounterRef => ({ namespace, name });
const settleOf = (ns: NamespaceConfig): number => msToUs(NOW - ns.acceptLimitMs - SKEW);

/** A store whose snapshots come from `snaps(ref, settleUs)`; records reads and checkpoint writes. */
function fakeStore(snaps: (ref: CounterRef, settleUs: number) => CounterSnapshot) {
  const reads: SnapshotQuery[] = [];
  const writes: CheckpointWrite[][] = [];
  return {
    reads,
    writes,
    readSnapshots: jest.fn(async (q: SnapshotQuery) => {
      reads.push(q);
      return q.refs.map((ref) => snaps(ref, q.settleUs));
    }),
    writeCheckpoints: jest.fn(async (items: CheckpointWrite[]) => void writes.push(items)),
  };
}

/** Nothing pending: the checkpoint holds `count` and does not move. */
const quiet = (count: bigint) => (_ref: CounterRef, settleUs: number) => snapshot({ count, checkpointUs: 10, lastWriteUs: 10, settleUs });

function setup(store: ReturnType<typeof fakeStore>, over: Partial<RollupJobDeps> = {}) {
  const converged = new FakeConvergedCache();
  const pubsub = new FakePubSub();
  const metrics = fakeMetrics();
  const onRolledUp = jest.fn();
  const job = new RollupJob({
    store,
    converged,
    pubsub,
    namespaces: new FakeNamespaces([ev, acc, be]),
    metrics: asMetrics(metrics),
    skewMarginMs: SKEW,
    onRolledUp,
    ...over,
  });
  return { job, converged, pubsub, metrics, onRolledUp };
}

beforeEach(() => {
  jest.spyOn(Date, 'now').mockReturnValue(NOW);
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('RollupJob.run', () => {
  it('reads each namespace once, in first-seen order, with its refs in input order', async () => {
    const store = fakeStore(quiet(1n));
    const { job } = setup(store);
    await job.run([r('ev', 'a'), r('acc', 'x'), r('ev', 'b'), r('acc', 'y'), r('ev', 'c')]);
    expect(store.reads.map((q) => q.refs)).toEqual([
      [r('ev', 'a'), r('ev', 'b'), r('ev', 'c')],
      [r('acc', 'x'), r('acc', 'y')],
    ]);
  });

  it("reads with each namespace's own immutable boundary (now - acceptLimit - skew margin)", async () => {
    const store = fakeStore(quiet(1n));
    const { job } = setup(store);
    await job.run([r('ev', 'a'), r('acc', 'x')]);
    expect(store.reads.map((q) => q.settleUs)).toEqual([settleOf(ev), settleOf(acc)]);
    expect(store.reads[0]!.settleUs).toBe(msToUs(NOW - 6000));
  });

  it('skips counters of unknown and BEST_EFFORT namespaces entirely', async () => {
    const store = fakeStore(quiet(1n));
    const { job, converged, pubsub, onRolledUp } = setup(store);
    await job.run([r('be', 'a'), r('nope', 'b'), r('ev', 'c')]);
    expect(store.reads.map((q) => q.refs)).toEqual([[r('ev', 'c')]]);
    expect(converged.updates.flatMap((u) => u.entries.map((e) => e.ref))).toEqual([r('ev', 'c')]);
    expect(pubsub.published.map((u) => u.name)).toEqual(['c']);
    expect(onRolledUp).toHaveBeenCalledTimes(1);
  });

  it('does nothing for a batch with no durable counters', async () => {
    const store = fakeStore(quiet(1n));
    const { job, converged } = setup(store);
    await job.run([r('be', 'a')]);
    await job.run([]);
    expect(store.readSnapshots).not.toHaveBeenCalled();
    expect(converged.updates).toEqual([]);
  });

  it('writes checkpoints only for counters whose fold moves them, in one call, and counts them', async () => {
    const settle = settleOf(ev);
    const store = fakeStore((ref, settleUs) => {
      if (ref.name === 'moves') return snapshot({ count: 5n, checkpointUs: 100, lastWriteUs: 200, settled: { sum: 3n, events: 1 }, settleUs });
      if (ref.name === 'tailOnly') return snapshot({ count: 5n, checkpointUs: settle, lastWriteUs: settle + 10, tail: { sum: 2n, events: 1 }, settleUs });
      return snapshot({ count: 9n, checkpointUs: 300, lastWriteUs: 300, settleUs });
    });
    const { job, metrics } = setup(store);
    await job.run([r('ev', 'quiet'), r('ev', 'moves'), r('ev', 'tailOnly')]);
    expect(store.writes).toEqual([[{ ref: r('ev', 'moves'), count: 8n, checkpointUs: settle }]]);
    expect(metrics.rollupCheckpoints.total()).toBe(1);
  });

  it('writes no checkpoint and counts none when nothing moves', async () => {
    const store = fakeStore(quiet(4n));
    const { job, metrics } = setup(store);
    await job.run([r('ev', 'a'), r('ev', 'b')]);
    expect(store.writeCheckpoints).not.toHaveBeenCalled();
    expect(metrics.rollupCheckpoints.calls).toEqual([]);
  });

  it(`holds a busy counter's checkpoint back until it can move by ${CHECKPOINT_STEP_US} µs`, async () => {
    const settle = settleOf(ev);
    let checkpointUs = settle - CHECKPOINT_STEP_US + 1;
    const store = fakeStore((_ref, settleUs) =>
      // still written to after settleUs, settled events since the checkpoint
      snapshot({ count: 1n, checkpointUs, lastWriteUs: settle + 5, settled: { sum: 1n, events: 1 }, tail: { sum: 1n, events: 1 }, settleUs }),
    );
    const { job } = setup(store);
    await job.run([r('ev', 'hot')]);
    expect(store.writes).toEqual([]);
    checkpointUs = settle - CHECKPOINT_STEP_US;
    await job.run([r('ev', 'hot')]);
    expect(store.writes).toEqual([[{ ref: r('ev', 'hot'), count: 2n, checkpointUs: settle }]]);
  });

  it('stores every exact count in the converged cache with the read time as asOf', async () => {
    const store = fakeStore((ref, settleUs) =>
      snapshot({ count: ref.name === 'a' ? 10n : 20n, checkpointUs: 1, lastWriteUs: settleUs + 1, tail: { sum: 1n, events: 1 }, settleUs }),
    );
    const { job, converged } = setup(store);
    await job.run([r('ev', 'a'), r('ev', 'b')]);
    expect(converged.updates).toEqual([
      {
        entries: [
          { ref: r('ev', 'a'), value: 11n },
          { ref: r('ev', 'b'), value: 21n },
        ],
        asOfMs: NOW,
      },
    ]);
  });

  it('publishes only the counters whose converged value changed', async () => {
    const store = fakeStore(quiet(7n));
    const { job, converged, pubsub } = setup(store);
    await converged.setMany({ entries: [{ ref: r('ev', 'same'), value: 7n }, { ref: r('ev', 'other'), value: 6n }], asOfMs: NOW - 10 });
    await job.run([r('ev', 'same'), r('ev', 'other'), r('ev', 'new')]);
    expect(pubsub.published).toEqual([
      { namespace: 'ev', name: 'other', count: 7n, asOfMs: NOW },
      { namespace: 'ev', name: 'new', count: 7n, asOfMs: NOW },
    ]);
  });

  it('publishes nothing when a newer roll-up already stored the value', async () => {
    const store = fakeStore(quiet(3n));
    const { job, converged, pubsub } = setup(store);
    await converged.setMany({ entries: [{ ref: r('ev', 'a'), value: 99n }], asOfMs: NOW + 1 });
    await job.run([r('ev', 'a')]);
    expect(pubsub.published).toEqual([]);
    expect(converged.value(r('ev', 'a'))).toBe(99n);
  });

  it('tells onRolledUp each exact count, changed or not', async () => {
    const store = fakeStore((ref, settleUs) => snapshot({ count: ref.name === 'a' ? -5n : 0n, settleUs }));
    const { job, onRolledUp, converged } = setup(store);
    await converged.setMany({ entries: [{ ref: r('acc', 'a'), value: -5n }], asOfMs: 0 });
    await job.run([r('acc', 'a'), r('acc', 'b')]);
    expect(onRolledUp.mock.calls).toEqual([
      [r('acc', 'a'), -5n],
      [r('acc', 'b'), 0n],
    ]);
  });

  it('works without an onRolledUp listener', async () => {
    const store = fakeStore(quiet(2n));
    const { job, pubsub } = setup(store, { onRolledUp: undefined });
    await job.run([r('ev', 'a')]);
    expect(pubsub.published).toHaveLength(1);
  });

  it('stops at a failed read: namespaces before it are rolled up, later ones untouched, and it rejects', async () => {
    const store = fakeStore(quiet(1n));
    store.readSnapshots.mockImplementation(async (q: SnapshotQuery) => {
      if (q.refs[0]!.namespace === 'acc') throw new Error('read failed');
      return q.refs.map((ref) => quiet(1n)(ref, q.settleUs));
    });
    const { job, pubsub, converged } = setup(store);
    await expect(job.run([r('ev', 'a'), r('acc', 'x'), r('ev', 'b')])).rejects.toThrow('read failed');
    expect(pubsub.published.map((u) => u.name)).toEqual(['a', 'b']);
    expect(converged.value(r('acc', 'x'))).toBeUndefined();
    await expect(job.run([r('acc', 'x'), r('ev', 'c')])).rejects.toThrow('read failed');
    expect(converged.value(r('ev', 'c'))).toBeUndefined();
  });

  it('caches and publishes the exact value while the checkpoint write runs; a failed write still fails the batch', async () => {
    const store = fakeStore((_ref, settleUs) => snapshot({ count: 1n, checkpointUs: 1, lastWriteUs: 2, settled: { sum: 1n, events: 1 }, settleUs }));
    store.writeCheckpoints.mockRejectedValue(new Error('write failed'));
    const { job, converged, pubsub, metrics } = setup(store);
    await expect(job.run([r('ev', 'a')])).rejects.toThrow('write failed');
    // The value is exact as read, stored checkpoint or not; the batch is retried for the checkpoint.
    expect(converged.value(r('ev', 'a'))).toBe(2n);
    expect(pubsub.published.map((u) => u.count)).toEqual([2n]);
    expect(metrics.rollupCheckpoints.calls).toEqual([]);
  });

  it('does not wait for the checkpoint write to publish', async () => {
    const store = fakeStore((_ref, settleUs) => snapshot({ count: 1n, checkpointUs: 1, lastWriteUs: 2, settled: { sum: 1n, events: 1 }, settleUs }));
    let finish!: () => void;
    store.writeCheckpoints.mockImplementation(() => new Promise<undefined>((resolve) => (finish = () => resolve(undefined))));
    const { job, pubsub, metrics } = setup(store);
    const running = job.run([r('ev', 'a')]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(pubsub.published).toHaveLength(1);
    expect(metrics.rollupCheckpoints.calls).toEqual([]);
    finish();
    await running;
    expect(metrics.rollupCheckpoints.calls).toEqual([{ labels: {}, n: 1 }]);
  });

  it('calls onPublished once every namespace of the batch is published, before the checkpoint writes finish', async () => {
    const store = fakeStore((_ref, settleUs) => snapshot({ count: 1n, checkpointUs: 1, lastWriteUs: 2, settled: { sum: 1n, events: 1 }, settleUs }));
    const finishers: (() => void)[] = [];
    store.writeCheckpoints.mockImplementation(() => new Promise<undefined>((resolve) => finishers.push(() => resolve(undefined))));
    const { job, pubsub, metrics } = setup(store);
    const seen: number[] = [];
    const running = job.run([r('ev', 'a'), r('acc', 'b')], () => seen.push(pubsub.published.length));
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([2]);
    expect(metrics.rollupCheckpoints.calls).toEqual([]);
    expect(finishers).toHaveLength(2);
    for (const f of finishers) f();
    await running;
    expect(metrics.rollupCheckpoints.total()).toBe(2);
  });
});
