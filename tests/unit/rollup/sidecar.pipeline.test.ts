jest.mock('node:timers/promises', () => jest.requireActual('../fakes').fakeTimersPromises);

import { WRITES_IN_FLIGHT } from '../../../rollup/sidecar';
import { flushMicrotasks } from '../fakes';
import { names, offers, ref, setup, useSidecarHooks } from './sidecarSetup';

useSidecarHooks();

describe('RollupSidecar pipelining and lanes', () => {
  it('takes the next batch once the last one published, while its checkpoint write still runs', async () => {
    const { s, startedAt, duration, metrics } = setup({ coalesceMs: 0, batchMin: 1, batchMax: 1, batchTargetMs: 1000 });
    duration.publish = () => 10;
    duration.ms = () => 500;
    s.notify(ref('a'));
    s.notify(ref('b'));
    s.start();
    await jest.advanceTimersByTimeAsync(100);
    // a full batch: paced on its 10 ms to publish, not on its 500 ms with the write.
    expect(startedAt).toEqual([0, 20]);
    expect(metrics.rollupCounters.total()).toBe(0);
    await jest.advanceTimersByTimeAsync(500);
    expect(metrics.rollupCounters.total()).toBe(2);
    expect(metrics.rollupBatchSeconds.values).toEqual([0.5, 0.5]);
  });

  it(`keeps at most ${WRITES_IN_FLIGHT} batches per drainer with their writes outstanding`, async () => {
    const { s, work, duration } = setup({ coalesceMs: 0, batchMin: 1, batchMax: 1 });
    duration.publish = () => 0;
    duration.ms = () => 1000;
    for (const n of names(WRITES_IN_FLIGHT + 2)) s.notify(ref(n));
    s.start();
    await jest.advanceTimersByTimeAsync(999);
    expect(work).toHaveBeenCalledTimes(WRITES_IN_FLIGHT);
    await jest.advanceTimersByTimeAsync(1);
    expect(work).toHaveBeenCalledTimes(WRITES_IN_FLIGHT + 2);
  });

  it('stop waits for the checkpoint writes still running', async () => {
    const { s, duration, metrics } = setup({ coalesceMs: 0 });
    duration.publish = () => 0;
    duration.ms = () => 300;
    s.notify(ref('a'));
    s.start();
    await flushMicrotasks();
    let done = false;
    const p = s.stop().then(() => (done = true));
    await jest.advanceTimersByTimeAsync(299);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await p;
    expect(metrics.rollupCounters.total()).toBe(1);
  });

  it('a write failing after the publish counts as a failed batch: logged, not fresh, then the retry pause', async () => {
    const { s, work, duration, failing, metrics, log } = setup({ exclusiveStore: true, coalesceMs: 0, batchMin: 1, batchMax: 1, sweepIntervalMs: 300 });
    duration.publish = (i) => (i === 0 ? 0 : 10);
    duration.ms = (i) => (i === 0 ? 50 : 10);
    failing.add(0);
    s.notify(ref('a'));
    s.start();
    await jest.advanceTimersByTimeAsync(50);
    expect(metrics.rollupErrors.total()).toBe(1);
    expect(log.warn).toHaveBeenCalledWith(expect.objectContaining({ counters: 1 }), 'roll-up batch failed');
    s.notifyRead(ref('a'));
    expect(offers(metrics, 'fresh')).toBe(0);
    s.notify(ref('b'));
    await jest.advanceTimersByTimeAsync(299);
    expect(work).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(work).toHaveBeenCalledTimes(2);
  });

  it('does not pause after a batch that emptied the queue; batches start coalesceMs apart', async () => {
    const { s, startedAt, duration } = setup({ coalesceMs: 25, batchTargetMs: 1000 });
    duration.ms = () => 10;
    s.start();
    s.notify(ref('a')); // wakes the drainer: a starts at 25, done at 35
    await jest.advanceTimersByTimeAsync(30);
    s.notify(ref('b')); // offered while a runs: starts 25 ms after a did
    await jest.advanceTimersByTimeAsync(70);
    s.notify(ref('c')); // t=100, the drainer idle: waits the whole coalesce window
    await jest.advanceTimersByTimeAsync(100);
    expect(startedAt).toEqual([25, 50, 125]);
  });

  it('sweeps offer in the background lane: a write offered after them is rolled up first', async () => {
    const { s, pending, batches } = setup({ batchMin: 8 });
    pending.mockResolvedValueOnce([ref('x'), ref('y')]);
    s.start();
    await flushMicrotasks();
    s.notify(ref('w'));
    await jest.advanceTimersByTimeAsync(25);
    expect(batches).toEqual([['w', 'x', 'y']]);
  });

  it('observes the roll-up lag of urgent offers from their first offer to the publish, not of sweeps', async () => {
    const { s, pending, duration, metrics } = setup({ batchMin: 8 });
    duration.publish = () => 10;
    duration.ms = () => 20;
    pending.mockResolvedValueOnce([ref('x')]);
    s.start();
    await flushMicrotasks();
    s.notify(ref('a'));
    await jest.advanceTimersByTimeAsync(5);
    s.notify(ref('a'));
    await jest.advanceTimersByTimeAsync(100);
    expect(metrics.rollupLagSeconds.values).toEqual([0.035]);
  });
});
